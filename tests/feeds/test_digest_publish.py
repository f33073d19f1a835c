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

from feeds import digests, tasks, weeks
from feeds.models import Delivery, Digest
from tests.feeds.conftest import ROOT, Workers, record, record_at, subscriber
from timeline import commands

pytestmark = pytest.mark.django_db


def weeks_ago(n: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(weeks=n)


def this_week(development) -> str:
    return weeks.week_of(development.first_recorded_at)


def test_it_publishes_one_numbered_issue_per_week_with_the_newsletters_title(world, settings):
    settings.DIGEST_FIRST_NUMBER = 56
    development = record()
    first = tasks.digest_publish_and_fan_out(week=this_week(development))
    again = tasks.digest_publish_and_fan_out(week=this_week(development))
    assert first.created and not again.created
    assert again.digest.pk == first.digest.pk
    assert first.digest.number == 56
    assert first.digest.title == "Quoi de neuf au Kazakhstan cette semaine ? Numéro 56"
    assert Digest.objects.count() == 1


def test_it_numbers_issues_in_sequence_from_the_configured_start(world, settings):
    settings.DIGEST_FIRST_NUMBER = 10
    record_at(weeks_ago(2), title="Il y a deux semaines")
    record_at(weeks_ago(1), title="La semaine dernière")
    older = tasks.digest_publish_and_fan_out(week=weeks.week_of(weeks_ago(2))).digest
    newer = tasks.digest_publish_and_fan_out(week=weeks.week_of(weeks_ago(1))).digest
    assert (older.number, newer.number) == (10, 11)
    assert "Il y a deux semaines" in older.text and "La semaine dernière" not in older.text


def test_the_database_refuses_a_second_issue_for_a_week_or_a_number(world):
    issue = tasks.digest_publish_and_fan_out(week=this_week(record())).digest
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
    assert tasks.digest_publish_and_fan_out(week=week) == digests.Published(None, created=False)
    assert not Digest.objects.exists()
    settings.DIGEST_PUBLISH_EMPTY_WEEKS = True
    issue = tasks.digest_publish_and_fan_out(week=week).digest
    assert "Rien de nouveau cette semaine." in issue.text


def test_it_tells_by_topic_what_was_recorded_corrected_cancelled_or_retracted(world):
    corrected = record_at(weeks_ago(1), title="Visite à Astana", topics=["epca"])
    retracted = record_at(weeks_ago(1), title="Rumeur d'accord", topics=["visa-facilitation"])
    cancelled = record_at(
        weeks_ago(1), title="Sommet prévu", topics=["epca"], status="scheduled", date="2027-02-10"
    )
    silent = record_at(weeks_ago(1), title="Faute de frappe", topics=["epca"])
    commands.development_correct(
        id=corrected.id,
        expected_version=1,
        changes={"place": "Astana"},
        note="Le lieu était faux.",
        by="alice",
        via="admin",
    )
    commands.development_retract(
        id=retracted.id,
        expected_version=1,
        reason="Aucune source sérieuse.",
        by="alice",
        via="admin",
    )
    commands.development_cancel(
        id=cancelled.id, expected_version=1, reason="Reporté sine die.", by="alice", via="admin"
    )
    commands.development_correct(
        id=silent.id,
        expected_version=1,
        changes={"title": "Faute de frappe corrigée"},
        silent=True,
        by="alice",
        via="admin",
    )
    new = record(title="Nouveau cycle de négociations", topics=["visa-facilitation"])
    fleeting = record(title="Annonce retirée aussitôt", topics=["epca"])
    commands.development_retract(
        id=fleeting.id, expected_version=1, reason="Erreur.", by="alice", via="admin"
    )

    text = tasks.digest_publish_and_fan_out(week=this_week(new)).digest.text

    epca, visa = text.index("== APCR =="), text.index("== Facilitation des visas ==")
    assert epca < text.index("[Corrigé] Visite à Astana") < visa
    assert "Le lieu était faux." in text
    assert epca < text.index("[Annulé] Sommet prévu") < visa
    assert "Reporté sine die." in text
    assert visa < text.index("[Retiré] Rumeur d'accord")
    assert "Aucune source sérieuse." in text
    assert visa < text.index("* Nouveau cycle de négociations")
    assert "Faute de frappe" not in text  # a silent fix is not news
    assert "Annonce retirée aussitôt" not in text  # never announced, nothing to withdraw
    # Each item has its date, a one-line summary, its source and a link.
    assert "mars 2026 · Bruxelles" in text
    assert "Source : Le Soir, « Le Kazakhstan et l'UE »" in text
    assert f"/developments/{new.id}/" in text


def test_it_lists_what_is_scheduled_in_the_coming_weeks(world):
    soon = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    later = (timezone.localdate() + datetime.timedelta(days=90)).isoformat()
    record_at(weeks_ago(1), title="Réunion de la semaine dernière")
    record_at(weeks_ago(2), title="Visite prochaine", status="scheduled", date=soon)
    record_at(weeks_ago(2), title="Visite lointaine", status="scheduled", date=later)

    text = tasks.digest_publish_and_fan_out(week=weeks.week_of(weeks_ago(1))).digest.text

    upcoming = text.index("== À venir dans les prochaines semaines ==")
    assert text.index("Réunion de la semaine dernière") < upcoming
    assert upcoming < text.index("Visite prochaine")
    assert "Visite lointaine" not in text


def test_the_issue_is_frozen_at_publication(world, client):
    development = record(title="Titre d'origine")
    issue = tasks.digest_publish_and_fan_out(week=this_week(development)).digest
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
    issue = tasks.digest_publish_and_fan_out(week=this_week(development)).digest
    assert "<script>" not in issue.html
    assert "&lt;script&gt;" in issue.html
    page = client.get(f"/digests/{issue.number}/").content.decode()
    assert "<script>alert" not in page


def test_the_archive_lists_issues_and_shows_each(world, client):
    issue = tasks.digest_publish_and_fan_out(week=this_week(record())).digest
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

    issue = tasks.digest_publish_and_fan_out(week=this_week(development)).digest
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
        issue = tasks.digest_publish_and_fan_out(week=this_week(development)).digest
    assert sorted(m.to[0] for m in mail.outbox) == ["one@example.org", "two@example.org"]
    assert set(issue.deliveries.values_list("status", flat=True)) == {"sent"}
    tasks.send_digest(issue.id)  # a retried fan-out finds nothing left to send
    assert len(mail.outbox) == 2


def test_the_command_publishes_a_given_week_once(world):
    development = record()
    week = this_week(development)
    out = run_command("publish_digest", "--week", week)
    assert f"Published issue 1 for {week}" in out
    assert f"{week} already has issue 1" in run_command("publish_digest", "--week", week)
    with pytest.raises(CommandError, match="2026-13"):
        call_command("publish_digest", "--week", "2026-13")


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

    def content_after_everyone_checked(*, week):
        barrier.wait()
        return build(week=week)

    monkeypatch.setattr(digests, "digest_content", content_after_everyone_checked)
    results: list = [None] * len(weeks)

    def publish(i: int, week: str) -> None:
        try:
            results[i] = tasks.digest_publish_and_fan_out(week=week)
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
    command = [sys.executable, "manage.py", "publish_digest", "--week", week]
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

    assert "À confirmer" in text
    line = next(line for line in text.splitlines() if "Sommet passé" in line)
    assert "Prévu" not in line
    upcoming = text.split("== À venir dans les prochaines semaines ==", 1)[1]
    assert "Sommet prochain" in upcoming and "Sommet passé" not in upcoming
