"""ISO weeks in Brussels: a digest covers one, Monday 00:00 to the next Monday 00:00."""

from __future__ import annotations

import datetime
import re
from zoneinfo import ZoneInfo

BRUSSELS = ZoneInfo("Europe/Brussels")
_WEEK_LABEL = re.compile(r"^(\d{4})-W(\d{2})$")


class InvalidWeek(ValueError):
    """A week label we cannot read; the message says what to write."""


def week_parse(label: str) -> tuple[int, int]:
    """(year, week) from an ISO week label such as '2026-W12'."""
    match = _WEEK_LABEL.match(label.strip()) if isinstance(label, str) else None
    if not match:
        raise InvalidWeek(f"{label!r} is not an ISO week: write it as 2026-W12.")
    year, week = int(match[1]), int(match[2])
    try:
        datetime.date.fromisocalendar(year, week, 1)
    except ValueError:
        raise InvalidWeek(f"{year} has no ISO week {week}.") from None
    return year, week


def week_label(year: int, week: int) -> str:
    """'2026-W12' for (2026, 12)."""
    return f"{year:04d}-W{week:02d}"


def week_days(label: str) -> tuple[datetime.date, datetime.date]:
    """The week's Monday and Sunday."""
    year, week = week_parse(label)
    monday = datetime.date.fromisocalendar(year, week, 1)
    return monday, monday + datetime.timedelta(days=6)


def week_bounds(label: str) -> tuple[datetime.datetime, datetime.datetime]:
    """[Monday 00:00, next Monday 00:00) in Brussels, as aware datetimes."""
    monday, sunday = week_days(label)
    start = datetime.datetime.combine(monday, datetime.time(), tzinfo=BRUSSELS)
    next_monday = sunday + datetime.timedelta(days=1)
    return start, datetime.datetime.combine(next_monday, datetime.time(), tzinfo=BRUSSELS)


def week_of(moment: datetime.datetime) -> str:
    """The label of the Brussels ISO week that contains this aware moment."""
    year, week, _ = moment.astimezone(BRUSSELS).isocalendar()
    return week_label(year, week)


def previous_week(moment: datetime.datetime) -> str:
    """The label of the week before the one containing this moment (Monday's issue)."""
    return week_of(moment.astimezone(BRUSSELS) - datetime.timedelta(days=7))
