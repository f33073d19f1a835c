"""Proposal for timeline/dates.py: read the common EDTF forms without the pyparsing grammar.

Profile (bench, rebuild and record): `edtf.parse_edtf` costs ~10 ms per distinct date on
this machine, and the LRU cache only helps for dates already seen by that process; a
rebuild of a million events meets tens of thousands of distinct dates. Days, months,
years, seasons 21–24, a whole-date qualifier (~ ? %) and closed ranges of those are what
editors write; a regular expression reads them in microseconds. Anything else (or
anything invalid) falls through to the grammar, which keeps its error messages.

To apply: put `_fast_read` in timeline/dates.py and start `_read` (the uncached one) with
`if (fast := _fast_read(text)) is not None: return fast`. `check()` proves both paths agree.
"""

from __future__ import annotations

import datetime
import re

from timeline import dates

_POINT = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?([~?%])?")


def _fast_point(text: str) -> dates._Point | None:
    match = _POINT.fullmatch(text)
    if match is None:
        return None
    year_s, month_s, day_s, qualifier = match.groups()
    year = int(year_s)
    if not dates.MIN_YEAR <= year <= dates.MAX_YEAR:
        return None
    approximate = qualifier in ("~", "%")
    uncertain = qualifier in ("?", "%")
    month = int(month_s) if month_s else None
    day = int(day_s) if day_s else None
    if month in dates._SEASON_MONTHS:
        if day is not None or qualifier:
            return None
        lower, upper = dates._season_bounds(year, month)
        return dates._Point(year, None, None, month, False, False, lower, upper)
    try:
        if month is None:
            lower, upper = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
        elif day is None:
            lower = datetime.date(year, month, 1)
            upper = dates._first_day(year, month + 1) - datetime.timedelta(days=1)
        else:
            lower = upper = datetime.date(year, month, day)
    except ValueError:
        return None
    return dates._Point(year, month, day, None, approximate, uncertain, lower, upper)


def _fast_read(text):
    """(normalised text, points) for the common forms, or None to use the grammar."""
    if not isinstance(text, str):
        return None
    text = text.strip()
    parts = text.split("/")
    if len(parts) > 2:
        return None
    points = tuple(_fast_point(p) for p in parts)
    if any(p is None for p in points):
        return None
    if len(points) == 2 and points[1].upper < points[0].lower:
        return None
    return text, points


def install() -> None:
    slow = dates._read_uncached

    def read(text):
        fast = _fast_read(text)
        return fast if fast is not None else slow(text)

    dates._read_uncached = read
    dates._read_cached.cache_clear()


def check(samples: list[str]) -> None:
    """Both paths agree on every sample the fast path accepts."""
    for text in samples:
        fast = _fast_read(text)
        if fast is None:
            continue
        assert fast == dates._read_uncached(text), text
