import datetime

import pytest

from feeds.weeks import (
    BRUSSELS,
    InvalidWeek,
    previous_week,
    week_bounds,
    week_days,
    week_of,
    week_parse,
)


def test_it_reads_an_iso_week_label():
    assert week_parse("2026-W12") == (2026, 12)
    assert week_days("2026-W12") == (datetime.date(2026, 3, 16), datetime.date(2026, 3, 22))


@pytest.mark.parametrize("label", ["2026-12", "2026-W1", "W12", "2026-W00", "2025-W53", ""])
def test_it_refuses_what_is_not_an_iso_week(label):
    with pytest.raises(InvalidWeek):
        week_parse(label)


def test_it_knows_years_with_53_weeks():
    assert week_days("2026-W53") == (datetime.date(2026, 12, 28), datetime.date(2027, 1, 3))


def test_it_bounds_a_week_at_brussels_midnights_across_a_clock_change():
    # Summer time starts on Sunday 29 March 2026: that week is an hour short.
    start, end = week_bounds("2026-W13")
    assert start == datetime.datetime(2026, 3, 23, tzinfo=BRUSSELS)
    assert end == datetime.datetime(2026, 3, 30, tzinfo=BRUSSELS)
    assert start.utcoffset() == datetime.timedelta(hours=1)
    assert end.utcoffset() == datetime.timedelta(hours=2)
    utc = datetime.UTC
    assert end.astimezone(utc) - start.astimezone(utc) == datetime.timedelta(days=7, hours=-1)


def test_it_places_late_sunday_in_brussels_in_that_week_not_the_next():
    # 23:30 UTC on Sunday is already Monday 00:30 in Brussels (winter time, UTC+1).
    sunday_night_utc = datetime.datetime(2026, 3, 22, 23, 30, tzinfo=datetime.UTC)
    assert week_of(sunday_night_utc) == "2026-W13"
    assert week_of(sunday_night_utc - datetime.timedelta(hours=1)) == "2026-W12"


def test_it_names_last_week_from_monday_morning():
    monday_seven = datetime.datetime(2026, 1, 5, 7, 0, tzinfo=BRUSSELS)
    assert previous_week(monday_seven) == "2026-W01"
    assert previous_week(datetime.datetime(2026, 1, 1, 12, tzinfo=BRUSSELS)) == "2025-W52"
