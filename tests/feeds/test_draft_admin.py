"""Editors prepare the next issue in the admin: an introduction, a lead, items moved up
or hidden; previews in both languages, HTML and text, for all topics or one; a test to
themselves; then publication freezes the draft."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from feeds import tasks, weeks
from feeds.models import Delivery, DigestDraft, DraftFrozen
from tests.base import make_editor, make_staff_without_group
from tests.feeds.conftest import record, record_at, subscriber

pytestmark = pytest.mark.django_db

INTRODUCTION = "Une semaine chargée à Bruxelles.\n\nEt <b>une</b> deuxième idée."


def edit_url(week: str) -> str:
    return f"/admin/feeds/digestdraft/{week}/edit/"


def preview(client, week: str, **params) -> str:
    response = client.get(f"/admin/feeds/digestdraft/{week}/preview/", params)
    assert response.status_code == 200
    return response.content.decode()


def test_an_editor_prepares_previews_tests_and_publication_freezes_the_draft(client, world):
    subscriber("reader@example.org")
    editor = make_editor()
    lead = record(title="Signature de l'APCR", topics=["epca"])
    visas = record(title="Cycle sur les visas", topics=["visa-facilitation"])
    hidden = record(title="Brève sans intérêt", topics=["epca"])
    client.force_login(editor)

    # "Prepare the next issue" opens the draft of the week in progress.
    week = weeks.week_of(timezone.now())
    assert client.get("/admin/feeds/digestdraft/next/")["Location"] == edit_url(week)
    page = client.get(edit_url(week))
    assert page.status_code == 200
    assert "Signature de l&#x27;APCR" in page.content.decode()

    form = {
        "introduction": INTRODUCTION,
        "lead": str(lead.id),
        f"position_{visas.id}": "1",
        f"hide_{hidden.id}": "on",
    }
    assert client.post(edit_url(week), form).status_code == 302
    draft = DigestDraft.objects.get(week=week)
    assert (draft.lead, draft.updated_by) == (lead.id, editor.username)
    assert draft.hidden == [str(hidden.id)] and draft.order == [str(visas.id)]

    # Previews: both languages, HTML and text, all topics and a single one.
    french = preview(client, week, lang="fr", format="html")
    assert "Une semaine chargée à Bruxelles." in french and "&lt;b&gt;une&lt;/b&gt;" in french
    assert french.index("À la une") < french.index("Signature de l&#x27;APCR")
    assert french.index("Signature") < french.index("Cette semaine")
    assert "Brève sans intérêt" not in french
    english = preview(client, week, lang="en", format="text")
    assert "TOP STORY" in english and "THIS WEEK" in english and "<p" not in english
    visa_only = preview(client, week, lang="fr", format="text", topic="visa-facilitation")
    assert "Cycle sur les visas" in visa_only and "-- APCR --" not in visa_only
    assert "Vos sujets : Facilitation des visas" in visa_only

    # A test to the editor: one message, marked, and no delivery.
    sent = client.post(f"/admin/feeds/digestdraft/{week}/send-test/", {"lang": "fr"})
    assert sent.status_code == 302
    [message] = mail.outbox
    assert message.to == [editor.email]
    assert message.subject.startswith("[TEST] Quoi de neuf au Kazakhstan")
    assert "Ceci est un essai" in message.body and "Une semaine chargée" in message.body
    assert Delivery.objects.count() == 0

    # The beat (or the command) publishes the draft as it stands; then it is frozen.
    issue = tasks.digest_publish_and_fan_out(week=week, force=True).digest
    assert issue.content["introduction"] == INTRODUCTION
    assert issue.content["lead"]["id"] == str(lead.id)
    assert [i["id"] for i in issue.content["this_week"]][0] == str(visas.id)
    assert "Une semaine chargée" in issue.text
    refused = client.post(edit_url(week), {**form, "introduction": "Autre chose."})
    assert refused.status_code == 409
    draft.refresh_from_db()
    assert draft.introduction == INTRODUCTION and draft.digest_id == issue.id
    with pytest.raises(DraftFrozen):
        draft.save()


def test_the_monday_beat_publishes_last_weeks_draft_without_an_introduction(world):
    last_week = timezone.now() - datetime.timedelta(weeks=1)
    week = weeks.week_of(last_week)
    DigestDraft.objects.create(week=week)
    record_at(last_week, title="Réunion", date=timezone.localtime(last_week).date().isoformat())
    number = tasks.publish_last_weeks_digest()
    draft = DigestDraft.objects.get(week=week)
    assert draft.digest.number == number
    assert draft.digest.content["introduction"] == "" and draft.digest.content["lead"] is None


def test_staff_who_are_not_editors_cannot_change_a_draft(client, world):
    client.force_login(make_staff_without_group())
    week = weeks.week_of(timezone.now())
    assert client.get(edit_url(week)).status_code == 403
    assert client.post(f"/admin/feeds/digestdraft/{week}/send-test/").status_code == 403


def test_a_bad_week_or_topic_is_a_404_not_a_500(client, world):
    client.force_login(make_editor())
    assert client.get(edit_url("2026-W99")).status_code == 404
    week = weeks.week_of(timezone.now())
    assert client.get(f"/admin/feeds/digestdraft/{week}/preview/?topic=nope").status_code == 404
