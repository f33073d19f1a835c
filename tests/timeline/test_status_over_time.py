"""Status over time: a scheduled development whose every possible day has passed is not
"upcoming" but *awaiting confirmation*, everywhere, until an editor confirms, cancels or
reschedules it. Nothing is stored for it: it follows today's date (Europe/Brussels).

The seed is loaded, then the clock is frozen on 1 December 2026: the 15 March 2026
referendum and the December 2025 Cooperation Council were recorded as scheduled.
"""

from __future__ import annotations

import datetime
import re

import icalendar
import pytest
import time_machine
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client

from tests.base import make_editor, record
from timeline import commands, selectors
from timeline.models import Development, ShownStatus, Status

TODAY = datetime.date(2026, 12, 1)
NOON = datetime.datetime(2026, 12, 1, 11, 0, tzinfo=datetime.UTC)
UPCOMING_WORDS = ("prévu", "à venir", "upcoming", "scheduled")


@pytest.fixture
def seeded(db):
    cache.clear()
    call_command("loadseed", verbosity=0)
    with time_machine.travel(NOON, tick=False):
        yield


@pytest.fixture
def past(seeded) -> list[Development]:
    found = list(selectors.awaiting_confirmation())
    assert found, "the seed has scheduled developments whose date has passed"
    return found


def test_the_seed_has_developments_awaiting_confirmation(past):
    titles = " ".join(d.title for d in past)
    assert "Référendum" in titles
    assert "Conseil de coopération" in titles
    assert all(d.status == Status.SCHEDULED and d.date_upper < TODAY for d in past)
    assert all(d.shown_status == ShownStatus.AWAITING_CONFIRMATION for d in past)


def test_the_api_says_awaiting_confirmation_and_filters_on_it(past, client):
    items = []
    url = "/api/v1/timeline?limit=200"
    while url:
        body = client.get(url).json()
        items += body["items"]
        url = body["next"] and body["next"].split("testserver", 1)[-1]
    for item in items:
        if item["status"] == "scheduled":
            assert item["date_upper"] >= TODAY.isoformat(), item["title"]
    awaiting = {i["id"] for i in items if i["status"] == "awaiting_confirmation"}
    assert awaiting == {str(d.id) for d in past}

    body = client.get("/api/v1/timeline?status=awaiting_confirmation&limit=200").json()
    assert {i["id"] for i in body["items"]} == awaiting
    body = client.get("/api/v1/timeline?status=scheduled&limit=200").json()
    assert not awaiting & {i["id"] for i in body["items"]}
    assert all(i["date_upper"] >= TODAY.isoformat() for i in body["items"])


def test_each_page_shows_the_badge_not_the_upcoming_mark(past, client):
    for development in past:
        html = client.get(f"/developments/{development.id}/").content.decode()
        status = re.search(r"<dt>Statut</dt><dd>(.*?)</dd>", html, re.S)
        assert status, html
        assert "à confirmer" in status.group(1)
        assert not any(word in status.group(1).lower() for word in UPCOMING_WORDS)
        assert "status-awaiting_confirmation" in html


def test_lists_and_the_upcoming_band_never_call_a_past_date_upcoming(past, client):
    pages = ["/", "/?order=oldest", *{f"/topics/{t.slug}/" for d in past for t in d.topics.all()}]
    for page in pages:
        html = client.get(page).content.decode()
        for development in past:
            link = f'href="/developments/{development.id}/"'
            for item in re.findall(r'<li class="development[^"]*">.*?</li>\n', html, re.S):
                if link in item:
                    assert "status-awaiting_confirmation" in item, (page, item)
                    assert "mark-scheduled" not in item
                    assert "mark-awaiting_confirmation" in item
        if 'id="upcoming-title"' in html:
            band = html.split('id="upcoming-title"', 1)[1].split("</section>", 1)[0]
            assert not any(str(d.id) in band for d in past), page


def test_feeds_say_awaiting_confirmation(past, client):
    for path in ("/feeds/timeline.rss", "/feeds/timeline.atom"):
        body = client.get(path).content.decode()
        for development in past:
            if str(development.id) in body:
                assert f"[À confirmer] {development.title}" in body


def test_the_calendar_holds_nothing_that_ended_before_today(past, client):
    calendar = icalendar.Calendar.from_ical(client.get("/feeds/upcoming.ics").content)
    for event in calendar.walk("VEVENT"):
        assert event.decoded("DTEND") > TODAY, str(event["SUMMARY"])
        assert "prévu" not in str(event["SUMMARY"]).lower()
    uids = " ".join(str(e["UID"]) for e in calendar.walk("VEVENT"))
    assert not any(str(d.id) in uids for d in past)


def test_the_digest_agenda_holds_only_what_is_still_to_come(past):
    agenda = selectors.scheduled_between(first=datetime.date(2025, 1, 1), last=TODAY)
    assert not {d.id for d in agenda} & {d.id for d in past}


def test_the_admin_shows_the_queue_with_its_count(past):
    editor = make_editor()
    client = Client()
    client.force_login(editor)
    html = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "À confirmer" in html
    assert f"{len(past)} faits dont la date est passée" in html
    link = "/admin/timeline/development/?shown_status=awaiting_confirmation"
    assert link in html
    listing = client.get(link, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    for development in Development.objects.all():
        shown = f">{development.title}<" in listing
        assert shown is (development in past), development.title


def test_confirming_cancelling_or_rescheduling_empties_the_queue(past):
    confirmed, cancelled, *others = past
    commands.development_confirm(
        id=confirmed.id, expected_version=confirmed.version, by="alice", via="admin"
    )
    commands.development_cancel(
        id=cancelled.id,
        expected_version=cancelled.version,
        reason="Reporté.",
        by="alice",
        via="admin",
    )
    for development in others:
        commands.development_reschedule(
            id=development.id,
            expected_version=development.version,
            date="2027-03",
            by="alice",
            via="admin",
        )
    assert not selectors.awaiting_confirmation().exists()
    assert Development.objects.get(id=others[0].id).shown_status == ShownStatus.SCHEDULED


def test_it_follows_the_calendar_without_any_event(world):
    development = record(status="scheduled", date="2026-12-03")
    with time_machine.travel(datetime.datetime(2026, 12, 3, 22, 30, tzinfo=datetime.UTC)):
        # 23:30 in Brussels: still the 3rd there.
        assert Development.objects.get(id=development.id).shown_status == "scheduled"
    with time_machine.travel(datetime.datetime(2026, 12, 3, 23, 30, tzinfo=datetime.UTC)):
        # 00:30 on the 4th in Brussels.
        assert Development.objects.get(id=development.id).shown_status == "awaiting_confirmation"
