"""The three date meanings — a point, a span, one moment in a window — end to end: parse,
bounds, French and English display, the picture, TimelineJS, iCalendar, JSON-LD and the API.

One row per meaning and form. The clock is frozen at the start of 2023 so every date of the
table is still to come and the calendar may hold it.
"""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass

import icalendar
import pytest
import time_machine
from django.core.cache import cache
from django.utils import translation

from tests.base import record
from timeline import dates, selectors, visual

D = datetime.date
NOW = datetime.datetime(2023, 1, 2, 12, 0, tzinfo=datetime.UTC)


@dataclass(frozen=True)
class Row:
    edtf: str
    meaning: str
    lower: D
    upper: D
    french: str
    english: str
    picture: str  # "dot", "bar" or "whiskers" (a dot with whiskers)
    tl_start: dict
    tl_end: dict | None
    in_calendar: bool
    jsonld_start: str | None
    jsonld_end: str | None


ROWS = [
    Row("2023-03-27", "point", D(2023, 3, 27), D(2023, 3, 27), "27 mars 2023", "27 March 2023",
        "dot", {"year": 2023, "month": 3, "day": 27}, None, True, "2023-03-27", "2023-03-27"),
    Row("2023-10", "point", D(2023, 10, 1), D(2023, 10, 31), "octobre 2023", "October 2023",
        "bar", {"year": 2023, "month": 10}, None, False, "2023-10", "2023-10"),
    Row("2023-12~", "point", D(2023, 12, 1), D(2023, 12, 31), "vers décembre 2023",
        "about December 2023", "bar", {"year": 2023, "month": 12}, None, False,
        "2023-12", "2023-12"),
    Row("2023-05-16/2023-05-20", "span", D(2023, 5, 16), D(2023, 5, 20), "16–20 mai 2023",
        "16–20 May 2023", "bar", {"year": 2023, "month": 5, "day": 16},
        {"year": 2023, "month": 5, "day": 20}, True, "2023-05-16", "2023-05-20"),
    Row("[2023-05-16..2023-05-20]", "window", D(2023, 5, 16), D(2023, 5, 20),
        "entre le 16 et le 20 mai 2023", "between 16 and 20 May 2023", "whiskers",
        {"year": 2023, "month": 5, "day": 16}, None, False, "2023-05", None),
    Row("[..2023-11-24]", "window", D(1900, 1, 1), D(2023, 11, 24),
        "avant le 24 novembre 2023", "before 24 November 2023", "whiskers",
        {"year": 2023, "month": 11, "day": 24}, None, False, None, None),
    Row("[2023-11..]", "window", D(2023, 11, 1), D(2100, 12, 31), "après novembre 2023",
        "after November 2023", "whiskers", {"year": 2023, "month": 11, "day": 1}, None, False,
        None, None),
]  # fmt: skip


@pytest.fixture
def frozen():
    # Pages and feeds are cached under the log's last position and time; with the clock
    # frozen, every test's log ends at the same position and time, so start afresh.
    cache.clear()
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(params=ROWS, ids=[row.edtf for row in ROWS])
def row(request) -> Row:
    return request.param


@pytest.fixture
def development(row, world, frozen):
    return record(title="L'étape du jour", status="scheduled", date=row.edtf, topics=["epca"])


def test_parse_gives_the_meaning_and_the_bounds(row):
    date = dates.parse(row.edtf)
    assert (date.meaning, date.lower, date.upper) == (row.meaning, row.lower, row.upper)


def test_it_is_said_in_french_and_in_english(row):
    assert dates.display(row.edtf, "fr") == row.french
    assert dates.display(row.edtf, "en") == row.english


def test_the_picture_draws_a_window_as_a_dot_with_whiskers(row, development):
    shape = selectors.timeline_shape()
    picture = visual.picture(shape, lang="fr", params={})
    assert picture is not None
    (mark,) = [s for s in picture.shapes if str(development.id) in s.href]
    drawn = "whiskers" if mark.whiskers else ("dot" if mark.r else "bar")
    assert drawn == row.picture
    if mark.whiskers:
        assert mark.width == 0  # never a bar
        assert mark.whisker_left <= mark.x <= mark.whisker_right
        # The axis is not stretched to 1900 or 2100 by an open end.
        assert picture.ticks[0].label == "2023"


def test_the_svg_has_whiskers_only_for_a_window(row, development, client):
    html = client.get("/").content.decode()
    assert ('class="whisker"' in html) is (row.meaning == "window")


def test_timelinejs_gives_one_date_and_says_the_window_in_words(row, development, client):
    body = client.get("/api/v1/timeline.timelinejs?lang=fr").json()
    (event,) = body["events"]
    assert event["start_date"] == row.tl_start
    assert event.get("end_date") == row.tl_end
    assert event["display_date"] == row.french
    assert (row.french in event["text"]["text"]) is (row.meaning == "window")


def test_the_calendar_holds_only_days_and_short_spans(row, development, client):
    response = client.get("/feeds/upcoming.ics")
    calendar = icalendar.Calendar.from_ical(response.content)
    found = [e for e in calendar.walk("VEVENT") if str(development.id) in str(e["UID"])]
    assert bool(found) is row.in_calendar
    if found:
        (event,) = found
        assert event.decoded("DTSTART") == row.lower
        assert event.decoded("DTEND") == row.upper + datetime.timedelta(days=1)


def _jsonld(html: str) -> dict:
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert match
    return json.loads(match.group(1))


def test_json_ld_keeps_the_precision_and_gives_a_window_no_end(row, development, client):
    html = client.get(f"/developments/{development.id}/").content.decode()
    event = _jsonld(html)["about"]
    assert event.get("startDate") == row.jsonld_start
    assert event.get("endDate") == row.jsonld_end
    if row.meaning == "window":
        assert event["disambiguatingDescription"] == row.french


def test_the_api_gives_the_bounds_and_the_meaning(row, development, client):
    body = client.get(f"/api/v1/developments/{development.id}").json()
    assert body["date"] == row.edtf
    assert body["date_meaning"] == row.meaning
    assert (body["date_lower"], body["date_upper"]) == (
        row.lower.isoformat(),
        row.upper.isoformat(),
    )
    assert body["date_display"] == {"fr": row.french, "en": row.english}
    assert body["in_calendar"] is row.in_calendar
    assert body["status"] == "scheduled"


def test_the_upcoming_band_says_which_dates_are_still_to_be_specified(row, development, client):
    with translation.override("fr"):
        html = client.get("/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    band = html.split('id="upcoming-title"', 1)[1].split("</section>", 1)[0]
    assert row.french in band
    assert ("date à préciser" in band) is (not row.in_calendar)


def test_a_window_known_by_its_end_sits_at_that_end_in_the_timeline(world, frozen, client):
    record(title="Avant novembre", date="[..2023-11-24]")
    record(title="En octobre", date="2023-10-05")
    record(title="En 2015", date="2015-06-01")
    titles = [d["title"] for d in client.get("/api/v1/timeline").json()["items"]]
    assert titles == ["En 2015", "En octobre", "Avant novembre"]
