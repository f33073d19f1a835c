"""What third-party clients read of the timeline: the calendar's SEQUENCE (RFC 5545), date
filters that cannot cause a server error, links on SITE_URL whatever the request's host,
TimelineJS text in the reader's language and escaped once, and `<time>` elements the Nu
HTML checker accepts."""

from __future__ import annotations

import datetime
import json
import re

import icalendar
import pytest
from django.core.cache import cache
from django.utils import timezone

from tests.base import assert_api_error, record
from timeline import commands


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()


def _event(client, development) -> icalendar.Event:
    calendar = icalendar.Calendar.from_ical(client.get("/feeds/upcoming.ics").content)
    (event,) = [e for e in calendar.walk("VEVENT") if str(development.id) in str(e["UID"])]
    return event


# --- SEQUENCE -------------------------------------------------------------------------


def test_sequence_grows_on_reschedule_then_cancellation(client, world):
    day = timezone.localdate() + datetime.timedelta(days=10)
    development = record(status="scheduled", date=day.isoformat(), place="Bruxelles")
    assert int(_event(client, development)["SEQUENCE"]) == 0

    commands.development_reschedule(
        id=development.id,
        expected_version=1,
        date=(day + datetime.timedelta(days=7)).isoformat(),
        by="alice",
        via="admin",
    )
    assert int(_event(client, development)["SEQUENCE"]) == 1

    commands.development_cancel(
        id=development.id, expected_version=2, reason="Reporté.", by="alice", via="admin"
    )
    event = _event(client, development)
    assert int(event["SEQUENCE"]) == 2
    assert str(event["STATUS"]) == "CANCELLED"

    commands.development_retract(
        id=development.id, expected_version=3, reason="Erreur.", by="alice", via="admin"
    )
    assert int(_event(client, development)["SEQUENCE"]) == 3


@pytest.mark.parametrize(
    ("changes", "silent", "grows"),
    [
        ({"title": "Nouveau titre"}, False, True),
        ({"title": "Titre sans faute"}, True, True),  # a silent fix still changes the entry
        ({"place": "Astana"}, False, True),
        ({"summary": "Un autre résumé."}, False, False),
        ({"date_note": "Selon l'article."}, True, False),
    ],
)
def test_sequence_grows_when_a_correction_changes_what_a_calendar_shows(
    client, world, changes, silent, grows
):
    day = timezone.localdate() + datetime.timedelta(days=10)
    development = record(status="scheduled", date=day.isoformat(), place="Bruxelles")
    commands.development_correct(
        id=development.id,
        expected_version=1,
        changes=changes,
        note="" if silent else "Corrigé.",
        silent=silent,
        by="alice",
        via="admin",
    )
    assert int(_event(client, development)["SEQUENCE"]) == (1 if grows else 0)


# --- one date-filter parser -----------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [("from=9999-12-31", "from"), ("from=2101-01-01", "from"), ("to=0001-01-01", "to")],
)
def test_a_date_filter_out_of_range_names_the_field_on_the_page(client, world, query, field):
    response = client.get(f"/?{query}")
    assert response.status_code == 400
    assert 'class="error"' in response.content.decode()


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/timeline?from=9999-12-31", "from"),
        ("/api/v1/timeline?from=2101-01-01", "from"),
        ("/api/v1/timeline?to=0001-01-01", "to"),
        ("/api/v1/timeline?from=2101-01-01T10:00:00", "from"),
        ("/api/v1/timeline.timelinejs?from=9999-12-31", "from"),
        ("/api/v1/timeline?status=upcoming", "status"),
    ],
)
def test_a_date_filter_out_of_range_names_the_field_in_the_api(client, world, path, field):
    assert_api_error(client.get(path), 422, field)


def test_a_window_is_a_date_filter_too(client, world):
    record(title="En 2023", date="2023-06-01")
    record(title="En 2025", date="2025-06-01")
    titles = [i["title"] for i in client.get("/api/v1/timeline?from=[2024..]").json()["items"]]
    assert titles == ["En 2025"]


# --- SITE_URL, not the request's host ------------------------------------------------


def test_links_are_on_site_url_whatever_the_host(client, world, settings):
    settings.SITE_URL = "https://kz.example.org"
    settings.ALLOWED_HOSTS = ["*"]
    development = record()
    host = {"HTTP_HOST": "evil.example.com"}
    body = client.get(f"/api/v1/developments/{development.id}", **host).json()
    assert body["url"] == f"https://kz.example.org/developments/{development.id}/"
    topics = client.get("/api/v1/topics", **host).json()
    assert all(t["url"].startswith("https://kz.example.org/topics/") for t in topics)
    timeline = client.get("/api/v1/timeline", **host).json()
    assert timeline["items"][0]["url"].startswith("https://kz.example.org/")
    tl = client.get("/api/v1/timeline.timelinejs", **host).json()
    assert (
        f'href="https://kz.example.org/developments/{development.id}/"'
        in (tl["events"][0]["text"]["text"])
    )
    html = client.get(f"/developments/{development.id}/", **host).content.decode()
    assert "evil.example.com" not in html
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert match
    assert json.loads(match.group(1))["url"].startswith("https://kz.example.org/")


# --- TimelineJS: the reader's language, escaped once ----------------------------------


def test_timelinejs_speaks_french_and_escapes_headlines_once(client, world):
    record(title="L'accord <signé>", date="2025-03-27")
    french = client.get("/api/v1/timeline.timelinejs?lang=fr").json()
    (event,) = french["events"]
    assert event["text"]["headline"] == "L'accord &lt;signé&gt;"
    assert "&#x27;" not in json.dumps(french)
    assert "Sources et historique" in event["text"]["text"]
    assert "Sources and history" not in json.dumps(french)
    english = client.get("/api/v1/timeline.timelinejs?lang=en").json()
    assert "Sources and history" in english["events"][0]["text"]["text"]


# --- <time> for the Nu HTML checker ---------------------------------------------------

# What HTML accepts in <time datetime>: a year, a month, a day, or a date and time with at
# most three fraction digits and an optional offset.
VALID_DATETIME = re.compile(
    r"\d{4}(-\d{2}(-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?)?)?)?"
)


@pytest.mark.parametrize(
    "date", ["2025-03-27", "2025-03", "2025", "2025-21", "2025-12~", "2023-05-16/2023-05-20",
             "[2023-05-16..2023-05-20]", "[..2025-11-24]"]
)  # fmt: skip
def test_time_elements_are_valid_html(client, world, date):
    development = record(date=date)
    commands.development_correct(
        id=development.id,
        expected_version=1,
        changes={"place": "Astana"},
        note="Lieu précisé.",
        by="alice",
        via="admin",
    )
    html = client.get(f"/developments/{development.id}/").content.decode()
    times = re.findall(r"<time([^>]*)>", html)
    assert times  # the history's dates at least
    for attributes in times:
        match = re.search(r'datetime="([^"]*)"', attributes)
        assert match, attributes
        assert VALID_DATETIME.fullmatch(match.group(1)), match.group(1)
