"""Publishing the weekly digest: one numbered issue per ISO week, frozen, by topic."""

import datetime
import io
import subprocess
import sys
import threading

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from feeds import digests, emails, tasks, weeks
from feeds.models import Delivery, Digest
from tests.feeds.conftest import ROOT, Workers, change_at, record, record_at, subscriber
from timeline import commands

pytestmark = pytest.mark.django_db


def weeks_ago(n: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(weeks=n)


def this_week(development) -> str:
    return weeks.week_of(development.first_recorded_at)


def test_it_publishes_one_numbered_issue_per_week_with_the_newsletters_title(world, settings):
    settings.DIGEST_FIRST_NUMBER = 56
    development = record()
    first = tasks.digest_publish_and_fan_out(force=True, week=this_week(development))
    again = tasks.digest_publish_and_fan_out(force=True, week=this_week(development))
    assert first.created and not again.created
    assert again.digest.pk == first.digest.pk
    assert first.digest.number == 56
    assert first.digest.title == "Quoi de neuf au Kazakhstan cette semaine ? Numéro 56"
    assert Digest.objects.count() == 1


def test_it_numbers_issues_in_sequence_from_the_configured_start(world, settings):
    settings.DIGEST_FIRST_NUMBER = 10
    record_at(weeks_ago(2), title="Il y a deux semaines")
    record_at(weeks_ago(1), title="La semaine dernière")
    older = tasks.digest_publish_and_fan_out(force=True, week=weeks.week_of(weeks_ago(2))).digest
    newer = tasks.digest_publish_and_fan_out(force=True, week=weeks.week_of(weeks_ago(1))).digest
    assert (older.number, newer.number) == (10, 11)
    assert "Il y a deux semaines" in older.text and "La semaine dernière" not in older.text


def test_the_database_refuses_a_second_issue_for_a_week_or_a_number(world):
    issue = tasks.digest_publish_and_fan_out(force=True, week=this_week(record())).digest
    fields = {
        "week_start": issue.week_start,
        "week_end": issue.week_end,
        "title": "x",
        "html": "",
        "text": "",
        "log_position": 0,
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        Digest.objects.create(number=issue.number + 1, week=issue.week, **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Digest.objects.create(number=issue.number, week="2001-W01", **fields)


def test_it_makes_no_issue_for_an_empty_week_unless_configured(world, settings):
    week = weeks.week_of(weeks_ago(3))
    assert tasks.digest_publish_and_fan_out(force=True, week=week) == digests.Published(
        None, created=False
    )
    assert not Digest.objects.exists()
    settings.DIGEST_PUBLISH_EMPTY_WEEKS = True
    issue = tasks.digest_publish_and_fan_out(force=True, week=week).digest
    assert "Rien de nouveau cette semaine." in issue.text


def day_of(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).date().isoformat()


def test_it_tells_the_weeks_news_by_topic_and_corrections_even_for_old_developments(world):
    last_week, long_ago = weeks_ago(1), weeks_ago(5)
    record_at(last_week, title="Visite à Astana", topics=["epca"], date=day_of(last_week))
    record_at(
        last_week,
        title="Nouveau cycle de négociations",
        topics=["visa-facilitation"],
        date=day_of(last_week),
    )
    corrected = record_at(long_ago, title="Forum de 2024", topics=["epca"], date="2024-05")
    retracted = record_at(long_ago, title="Rumeur d'accord", topics=["visa-facilitation"])
    cancelled = record_at(
        long_ago, title="Sommet prévu", topics=["epca"], status="scheduled", date="2027-02-10"
    )
    silent = record_at(long_ago, title="Faute de frappe", topics=["epca"], date="2023")
    moved = record_at(
        long_ago, title="Forum reporté", topics=["epca"], status="scheduled", date="2027-05-04"
    )
    change_at(
        last_week,
        commands.development_reschedule,
        id=moved.id,
        expected_version=1,
        date="2027-06-08",
        note="Nouvelle date annoncée par le ministère.",
    )
    change_at(
        last_week,
        commands.development_correct,
        id=corrected.id,
        expected_version=1,
        changes={"place": "Astana"},
        note="Le lieu était faux.",
    )
    change_at(
        last_week,
        commands.development_retract,
        id=retracted.id,
        expected_version=1,
        reason="Aucune source sérieuse.",
    )
    change_at(
        last_week,
        commands.development_cancel,
        id=cancelled.id,
        expected_version=1,
        reason="Reporté sine die.",
    )
    change_at(
        last_week,
        commands.development_correct,
        id=silent.id,
        expected_version=1,
        changes={"title": "Faute de frappe corrigée"},
        silent=True,
    )
    fleeting = record_at(last_week, title="Annonce retirée aussitôt", topics=["epca"])
    change_at(
        last_week,
        commands.development_retract,
        id=fleeting.id,
        expected_version=1,
        reason="Erreur.",
    )

    issue = tasks.digest_publish_and_fan_out(week=weeks.week_of(last_week)).digest
    text = issue.text

    this_week, corrections = text.index("CETTE SEMAINE"), text.index("RECTIFICATIFS")
    epca, visa = text.index("-- APCR --"), text.index("-- Facilitation des visas --")
    assert this_week < epca < text.index("* Visite à Astana") < visa
    assert visa < text.index("* Nouveau cycle de négociations") < corrections
    # Rectificatifs: what the registry says of each, with its public note or reason.
    assert corrections < text.index("[Corrigé] Forum de 2024")
    assert "Le lieu était faux." in text
    assert corrections < text.index("[Annulé] Sommet prévu")
    assert "Reporté sine die." in text
    assert corrections < text.index("[Retiré] Rumeur d'accord")
    assert "Aucune source sérieuse." in text
    assert corrections < text.index("[Reprogrammé] Forum reporté")
    assert "(auparavant : 4 mai 2027)" in text and "Nouvelle date annoncée" in text
    assert "Faute de frappe" not in text  # a silent fix is not news
    assert "Annonce retirée aussitôt" not in text  # never announced, nothing to withdraw
    assert digests.section_counts(issue.content) == {
        "lead": 0,
        "this_week": 2,
        "upcoming": 0,
        "unscheduled": 0,
        "corrections": 4,
        "archive": 0,
    }


def test_each_item_reads_well_dates_in_words_a_whole_sentence_and_no_placeholder(world):
    last_week = weeks_ago(1)
    summary = (
        "Le Conseil a adopté le mandat. M. Vassilenko salue « une étape ». "
        + "La suite viendra au printemps, selon les diplomates présents à Bruxelles. " * 6
    )
    record_at(
        last_week,
        title="Mandat adopté",
        summary=summary,
        date=day_of(last_week),
        place="Bruxelles",
        sources=[{"publication": "", "title": "Communiqué du Conseil", "date": "2026-03-02"}],
    )
    issue = tasks.digest_publish_and_fan_out(week=weeks.week_of(last_week)).digest
    [item] = issue.content["this_week"]
    assert item["summary"].startswith("Le Conseil a adopté le mandat. M. Vassilenko salue")
    assert item["summary"].endswith("Bruxelles.")  # whole sentences, no cut mid-word
    assert len(item["summary"]) <= digests.SUMMARY_MAX
    assert "Source : Communiqué du Conseil, 2 mars 2026" in issue.text
    assert "non indiqué" not in issue.text and "Source : ," not in issue.text
    assert (
        "Source: Communiqué du Conseil, 2 March 2026"
        in emails.digest_render(issue.content, number=issue.number, lang="en")[1]
    )


def test_summary_cut_keeps_whole_sentences_and_cuts_a_long_first_one_at_a_word():
    assert digests.summary_cut("Court. Bref.", 100) == "Court. Bref."
    assert digests.summary_cut("Une phrase. " * 20, 40) == "Une phrase. Une phrase. Une phrase."
    cut = digests.summary_cut("mot " * 100, 30)
    assert cut.endswith("…") and len(cut) <= 30 and "mot mot" in cut


def test_it_lists_the_next_four_weeks_and_vague_dates_but_nothing_past(world):
    last_week = weeks_ago(1)
    sunday = weeks.week_days(weeks.week_of(last_week))[1]
    soon = (sunday + datetime.timedelta(days=10)).isoformat()
    later = (sunday + datetime.timedelta(days=90)).isoformat()
    past = (sunday - datetime.timedelta(days=20)).isoformat()
    record_at(last_week, title="Réunion de la semaine dernière", date=day_of(last_week))
    record_at(weeks_ago(3), title="Visite prochaine", status="scheduled", date=soon)
    record_at(weeks_ago(3), title="Visite lointaine", status="scheduled", date=later)
    record_at(weeks_ago(6), title="Visite passée non confirmée", status="scheduled", date=past)
    record_at(weeks_ago(3), title="Sommet à une date vague", status="scheduled", date="2030")

    text = tasks.digest_publish_and_fan_out(week=weeks.week_of(last_week)).digest.text

    upcoming = text.index("À VENIR")
    assert text.index("Réunion de la semaine dernière") < upcoming
    assert upcoming < text.index("Visite prochaine") < text.index("-- Date à préciser --")
    assert text.index("-- Date à préciser --") < text.index("Sommet à une date vague (2030)")
    assert "Visite lointaine" not in text
    assert "Visite passée non confirmée" not in text


def test_the_archive_section_is_capped_with_a_link_to_the_rest(world):
    last_week = weeks_ago(1)
    record_at(last_week, title="Nouvelle de la semaine", date=day_of(last_week))
    for n in range(8):
        record_at(last_week, title=f"Rencontre ancienne {n}", date=f"{2010 + n}")
    issue = tasks.digest_publish_and_fan_out(week=weeks.week_of(last_week)).digest
    assert len(issue.content["archive"]) == 8  # frozen whole; shown capped
    archive = issue.text[issue.text.index("AJOUTÉ AUX ARCHIVES") :]
    assert archive.count("- Rencontre ancienne") == emails.ARCHIVE_CAP
    assert "Rencontre ancienne 7" in archive  # the latest dates first
    assert "et 3 autres → " in archive
    assert "et 3 autres" in issue.html


def test_an_issue_of_archive_additions_alone_is_skipped(world):
    last_week = weeks_ago(1)
    record_at(last_week, title="Rencontre ancienne", date="2012")
    published = tasks.digest_publish_and_fan_out(week=weeks.week_of(last_week))
    assert published == digests.Published(None, created=False)


def test_the_issue_is_frozen_at_publication(world, client):
    development = record(title="Titre d'origine")
    issue = tasks.digest_publish_and_fan_out(force=True, week=this_week(development)).digest
    frozen = (issue.html, issue.text, issue.content)
    commands.development_correct(
        id=development.id,
        expected_version=1,
        changes={"title": "Titre corrigé"},
        note="Coquille.",
        by="alice",
        via="admin",
    )
    issue.refresh_from_db()
    assert (issue.html, issue.text, issue.content) == frozen
    page = client.get(f"/digests/{issue.number}/").content.decode()
    assert "Titre d&#x27;origine" in page and "Titre corrigé" not in page


def test_it_escapes_editors_text_in_the_issue(world, client):
    development = record(title="<script>alert('x')</script> & co")
    issue = tasks.digest_publish_and_fan_out(force=True, week=this_week(development)).digest
    assert "<script>" not in issue.html
    assert "&lt;script&gt;" in issue.html
    page = client.get(f"/digests/{issue.number}/").content.decode()
    assert "<script>alert" not in page


def test_the_archive_lists_issues_and_shows_each(world, client):
    issue = tasks.digest_publish_and_fan_out(force=True, week=this_week(record())).digest
    archive = client.get("/digests/")
    assert archive.status_code == 200
    assert f'href="/digests/{issue.number}/"' in archive.content.decode()
    assert 'href="/feeds/digests.rss"' in archive.content.decode()
    assert client.get(f"/digests/{issue.number}/").status_code == 200
    assert client.get("/digests/999/").status_code == 404


def test_it_freezes_the_recipients_confirmed_at_publication_who_follow_its_topics(world):
    everything = subscriber("all@example.org")
    epca_reader = subscriber("epca@example.org", topics=[world["epca"]])
    subscriber("visa@example.org", topics=[world["visa"]])
    subscriber("pending@example.org", confirmed=False)
    subscriber("gone@example.org", unsubscribed=True)
    development = record(topics=["epca"])

    issue = tasks.digest_publish_and_fan_out(force=True, week=this_week(development)).digest
    subscriber("late@example.org")

    recipients = set(issue.deliveries.values_list("subscriber__email", flat=True))
    assert recipients == {everything.email, epca_reader.email}
    assert set(issue.deliveries.values_list("status", flat=True)) == {"pending"}


def test_publishing_sends_each_recipient_one_message(world, django_capture_on_commit_callbacks):
    subscriber("one@example.org")
    subscriber("two@example.org", language="en")
    subscriber("pending@example.org", confirmed=False)
    development = record()
    with django_capture_on_commit_callbacks(execute=True):
        issue = tasks.digest_publish_and_fan_out(force=True, week=this_week(development)).digest
    assert sorted(m.to[0] for m in mail.outbox) == ["one@example.org", "two@example.org"]
    assert set(issue.deliveries.values_list("status", flat=True)) == {"sent"}
    tasks.send_digest(issue.id)  # a retried fan-out finds nothing left to send
    assert len(mail.outbox) == 2


def test_the_command_publishes_a_given_week_once(world):
    subscriber("reader@example.org")
    last_week = weeks_ago(1)
    record_at(last_week, date=day_of(last_week))
    week = weeks.week_of(last_week)
    out = run_command("publish_digest", "--week", week)
    assert f"Published issue 1 for {week}" in out
    assert "Cette semaine: 1" in out and "Rectificatifs: 0" in out
    assert "1 recipient(s)" in out
    assert f"{week} already has issue 1" in run_command("publish_digest", "--week", week)
    with pytest.raises(CommandError, match="2026-13"):
        call_command("publish_digest", "--week", "2026-13")


def test_the_command_publishes_the_last_completed_week_by_default(world):
    last_week = weeks_ago(1)
    record_at(last_week, date=day_of(last_week))
    out = run_command("publish_digest")
    assert f"Published issue 1 for {weeks.week_of(last_week)}" in out


def test_the_command_refuses_the_week_in_progress_unless_forced(world):
    week = this_week(record())
    sunday = weeks.week_days(week)[1]
    with pytest.raises(CommandError, match="still in progress") as refused:
        call_command("publish_digest", "--week", week)
    assert f"{sunday:%d %B %Y}" in str(refused.value)  # says when it ends
    assert not Digest.objects.exists()
    assert f"Published issue 1 for {week}" in run_command(
        "publish_digest", "--week", week, "--force"
    )


def run_command(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_the_beat_task_makes_sure_last_weeks_issue_exists(world, settings):
    schedule = settings.CELERY_BEAT_SCHEDULE["publish-last-weeks-digest"]
    assert schedule["task"] == "feeds.tasks.publish_last_weeks_digest"
    assert schedule["schedule"].day_of_week == {1} and schedule["schedule"].hour == {7}
    record_at(weeks_ago(1), title="La semaine dernière")
    number = tasks.publish_last_weeks_digest()
    assert tasks.publish_last_weeks_digest() == number
    assert list(Digest.objects.values_list("week", flat=True)) == [
        weeks.previous_week(timezone.now())
    ]


# --- concurrency ------------------------------------------------------------------------


def _publish_concurrently(weeks: list[str], monkeypatch) -> list:
    """Publish these weeks in threads that all pass the "already published?" check before
    any of them inserts, so only the unique constraints can keep the issues apart."""
    barrier = threading.Barrier(len(weeks), timeout=30)
    build = digests.digest_content

    def content_after_everyone_checked(*, week, draft=None):
        barrier.wait()
        return build(week=week, draft=draft)

    monkeypatch.setattr(digests, "digest_content", content_after_everyone_checked)
    results: list = [None] * len(weeks)

    def publish(i: int, week: str) -> None:
        try:
            results[i] = tasks.digest_publish_and_fan_out(force=True, week=week)
        except Exception as error:  # reported by the assertion below
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=publish, args=(i, w)) for i, w in enumerate(weeks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_two_concurrent_publishes_of_a_week_make_one_issue(world_tx, monkeypatch):
    subscriber("reader@example.org")
    week = this_week(record())
    results = _publish_concurrently([week, week], monkeypatch)
    assert all(isinstance(r, digests.Published) for r in results), results
    assert sorted(r.created for r in results) == [False, True]
    assert results[0].digest.pk == results[1].digest.pk
    assert Digest.objects.count() == 1
    assert Delivery.objects.count() == 1


def test_concurrent_publishes_of_two_weeks_take_consecutive_numbers(world_tx, monkeypatch):
    record_at(weeks_ago(2))
    record_at(weeks_ago(1))
    labels = [weeks.week_of(weeks_ago(2)), weeks.week_of(weeks_ago(1))]
    results = _publish_concurrently(labels, monkeypatch)
    assert all(isinstance(r, digests.Published) and r.created for r in results), results
    assert sorted(Digest.objects.values_list("number", flat=True)) == [1, 2]


def test_publish_commands_racing_in_separate_processes_make_one_issue(world_tx, tmp_path):
    week = this_week(record())
    env = {
        **Workers(0, tmp_path).env,
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
    }
    command = [sys.executable, "manage.py", "publish_digest", "--week", week, "--force"]
    runs = [
        subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0], outputs
    published = [out for out, _ in outputs if "Published issue 1" in out]
    assert len(published) == 1, outputs
    assert Digest.objects.filter(week=week).count() == 1
    assert Digest.objects.get().number == 1


def test_a_scheduled_development_whose_date_passed_is_awaiting_confirmation_not_scheduled(world):
    past = (timezone.localdate() - datetime.timedelta(days=20)).isoformat()
    soon = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    record_at(weeks_ago(1), title="Sommet passé", status="scheduled", date=past)
    record_at(weeks_ago(2), title="Sommet prochain", status="scheduled", date=soon)

    text = tasks.digest_publish_and_fan_out(week=weeks.week_of(weeks_ago(1))).digest.text

    line = next(line for line in text.splitlines() if "Sommet passé" in line)
    assert "À confirmer" in line and "Prévu" not in line
    upcoming = text.split("À VENIR", 1)[1].split("AJOUTÉ AUX ARCHIVES", 1)[0]
    assert "Sommet prochain" in upcoming and "Sommet passé" not in upcoming
