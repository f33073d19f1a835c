"""EDTF dates as editors write them: parsing, bounds and display in French or English.

We accept EDTF level 0 and the parts of level 1 that a timeline needs: days, months, years,
seasons 21–24, the qualifiers ~ ? % on a whole date, and closed ranges between two of those.
Everything else is rejected with a sentence an editor can act on.
"""

import datetime
import functools
import re
from dataclasses import dataclass

from django.utils.translation import get_language
from edtf import (
    Date,
    DateAndTime,
    Interval,
    Level1Interval,
    Level2Interval,
    Level2Season,
    LongYear,
    MultipleDates,
    OneOfASet,
    PartialUncertainOrApproximate,
    Season,
    UncertainOrApproximate,
    Unspecified,
    UnspecifiedIntervalSection,
    parse_edtf,
    struct_time_to_date,
)

MIN_YEAR = 1900
MAX_YEAR = 2100

# Our own table rather than the package's: its winter stops at 31 December and its ranges can be
# overridden by a Django setting.  Winter's months 12–14 run into February of the next year.
_SEASON_MONTHS = {21: (3, 5), 22: (6, 8), 23: (9, 11), 24: (12, 14)}

_EXAMPLES = (
    "Write it as 2025-03-27, 2025-03, 2025, a season such as 2025-21, "
    "or a range such as 2023-05-16/2023-05-20."
)
_ENGLISH_MONTHS = tuple(
    "January February March April May June July August September October November December".split()
)


class InvalidDate(ValueError):
    """A date the editor wrote that we cannot store; the message says what is wrong."""


@dataclass(frozen=True)
class EdtfDate:
    """A valid date; lower and upper are strict bounds, not the package's widened fuzzy ones."""

    text: str  # normalised EDTF, e.g. "2025-12~"
    lower: datetime.date  # earliest day it can mean
    upper: datetime.date  # latest day it can mean
    approximate: bool  # ~ or % on the date, or on either end of a range
    uncertain: bool  # ? or % on the date, or on either end of a range
    precision: str  # "day" | "month" | "season" | "year" | "interval"


@dataclass(frozen=True)
class _Point:
    """One end of a range, or a whole single date."""

    year: int
    month: int | None
    day: int | None
    season: int | None
    approximate: bool
    uncertain: bool
    lower: datetime.date
    upper: datetime.date

    @property
    def precision(self) -> str:
        if self.season:
            return "season"
        if self.day:
            return "day"
        if self.month:
            return "month"
        return "year"

    @property
    def qualified(self) -> bool:
        return self.approximate or self.uncertain


@dataclass(frozen=True)
class _Words:
    months: tuple[str, ...]
    seasons: tuple[str, ...]
    first_day: str
    about: str
    about_day: str
    uncertain: str


_FRENCH = _Words(
    months=tuple(
        "janvier février mars avril mai juin "
        "juillet août septembre octobre novembre décembre".split()
    ),
    seasons=("printemps", "été", "automne", "hiver"),
    first_day="1er",
    about="vers",
    about_day="vers le",
    uncertain="(date incertaine)",
)
_ENGLISH = _Words(
    months=_ENGLISH_MONTHS,
    seasons=("spring", "summer", "autumn", "winter"),
    first_day="1",
    about="about",
    about_day="about",
    uncertain="(uncertain)",
)
_LANGUAGES = {"fr": _FRENCH, "en": _ENGLISH}


def parse(text: str) -> EdtfDate:
    """Read an EDTF string; raise InvalidDate if we cannot store it."""
    normalised, points = _read(text)
    first, last = points[0], points[-1]
    return EdtfDate(
        text=normalised,
        lower=first.lower,
        upper=last.upper,
        approximate=any(point.approximate for point in points),
        uncertain=any(point.uncertain for point in points),
        precision="interval" if len(points) == 2 else first.precision,
    )


def bounds(text: str) -> tuple[datetime.date, datetime.date]:
    """(lower, upper) of a valid EDTF string."""
    date = parse(text)
    return date.lower, date.upper


def is_valid(text: str) -> bool:
    """True if parse() accepts the text."""
    try:
        parse(text)
    except InvalidDate:
        return False
    return True


def current_language() -> str:
    """'en' when the request (or the activated translation) is English, else 'fr'."""
    return "en" if (get_language() or "fr").startswith("en") else "fr"


def display(text_or_date: str | EdtfDate, lang: str = "fr") -> str:
    """The date for readers, e.g. '16–20 mai 2023'; lang 'fr' or 'en', anything else is French."""
    text = text_or_date.text if isinstance(text_or_date, EdtfDate) else text_or_date
    words = _words(lang)
    _, points = _read(text)
    if len(points) == 1:
        return _qualified(points[0], words)
    start, end = points
    return _range(start, end, words)


def _read(text: str) -> tuple[str, tuple[_Point, ...]]:
    if not isinstance(text, str):
        raise InvalidDate("The date must be given as text.")
    text = text.strip()
    if not text:
        raise InvalidDate(f"The date is empty. {_EXAMPLES}")
    # The package prints to stdout and raises AttributeError on some X forms; don't let it try.
    if "X" in text.upper():
        raise InvalidDate(
            "Unspecified digits (X) are not supported: write only the part of the date you "
            "know, for example 2015 rather than 201X, or 2015 rather than 2015-XX."
        )
    if (fast := _fast_read(text)) is not None:
        return fast
    return _read_grammar(text)


def _read_grammar(text: str) -> tuple[str, tuple[_Point, ...]]:
    """Read a stripped text with the edtf package's grammar; it also explains errors."""
    try:
        parsed = parse_edtf(text)
    except Exception as error:  # EDTFParseException, but also TypeError, AttributeError, …
        raise InvalidDate(_explain_unreadable(text)) from error
    try:
        points = tuple(_point(end) for end in _ends(parsed))
    except InvalidDate:
        raise
    except Exception as error:  # the package's date arithmetic can fail on odd inputs
        raise InvalidDate(f"'{text}' is not a date we understand. {_EXAMPLES}") from error
    if len(points) == 2 and points[1].upper < points[0].lower:
        raise InvalidDate(
            f"The end of the range ({parsed.upper}) is before its start ({parsed.lower})."
        )
    return str(parsed), points


# The edtf package's grammar (pyparsing) takes 10–20 ms a parse: a rebuild meeting tens of
# thousands of distinct dates would spend minutes in it. The forms editors write — days,
# months, years, seasons 21–24, a whole-date qualifier, closed ranges of those — are read
# here with a regular expression; anything else, valid or not, goes to the grammar, which
# also writes the error messages. tests/timeline/test_dates.py proves both agree.
_FAST_POINT = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?([~?%])?")


def _fast_point(text: str) -> _Point | None:
    match = _FAST_POINT.fullmatch(text)
    if match is None:
        return None
    year_s, month_s, day_s, qualifier = match.groups()
    year = int(year_s)
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    month = int(month_s) if month_s else None
    day = int(day_s) if day_s else None
    if month in _SEASON_MONTHS:
        if day is not None or qualifier:
            return None
        lower, upper = _season_bounds(year, month)
        return _Point(year, None, None, month, False, False, lower, upper)
    try:
        if month is None:
            lower, upper = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
        elif day is None:
            lower = datetime.date(year, month, 1)
            upper = _first_day(year, month + 1) - datetime.timedelta(days=1)
        else:
            lower = upper = datetime.date(year, month, day)
    except ValueError:
        return None
    approximate, uncertain = qualifier in ("~", "%"), qualifier in ("?", "%")
    return _Point(year, month, day, None, approximate, uncertain, lower, upper)


def _fast_read(text: str) -> tuple[str, tuple[_Point, ...]] | None:
    """(text, points) for the common forms of a stripped text, or None for the grammar."""
    parts = text.split("/")
    if len(parts) > 2:
        return None
    points = tuple(_fast_point(p) for p in parts)
    if any(p is None for p in points):
        return None
    if len(points) == 2 and points[1].upper < points[0].lower:  # type: ignore[union-attr]
        return None
    return text, points  # type: ignore[return-value]


def _ends(parsed) -> tuple:
    if type(parsed) in (Interval, Level1Interval, Level2Interval):
        return parsed.lower, parsed.upper
    return (parsed,)


def _point(end) -> _Point:
    if isinstance(end, UnspecifiedIntervalSection):
        raise InvalidDate(
            "Open-ended ranges are not supported: give both the start and the end, "
            "for example 2023-05-16/2023-05-20."
        )
    qualifier = end.ua if type(end) is UncertainOrApproximate else None
    date = end.date if type(end) is UncertainOrApproximate else end
    if type(date) not in (Date, Season) or getattr(date, "significant_digits", None):
        raise InvalidDate(_unsupported(date))
    year = int(date.year)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidDate(
            f"Years must be between {MIN_YEAR} and {MAX_YEAR}; {date.year} is outside that range."
        )
    both = bool(qualifier and qualifier.is_uncertain_and_approximate)
    approximate = both or bool(qualifier and qualifier.is_approximate)
    uncertain = both or bool(qualifier and qualifier.is_uncertain)
    if type(date) is Season:
        season = int(date.season)
        lower, upper = _season_bounds(year, season)
        return _Point(year, None, None, season, approximate, uncertain, lower, upper)
    try:
        lower = struct_time_to_date(date.lower_strict())
        upper = struct_time_to_date(date.upper_strict())
    except ValueError as error:  # the grammar lets through 29 February of common years
        raise InvalidDate(_explain_unreadable(str(date))) from error
    month = int(date.month) if date.month else None
    day = int(date.day) if date.day else None
    return _Point(year, month, day, None, approximate, uncertain, lower, upper)


def _season_bounds(year: int, season: int) -> tuple[datetime.date, datetime.date]:
    first, last = _SEASON_MONTHS[season]
    return _first_day(year, first), _first_day(year, last + 1) - datetime.timedelta(days=1)


def _first_day(year: int, month: int) -> datetime.date:
    """The first day of a month counted from January of `year`; month 13 is next January."""
    return datetime.date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def _unsupported(obj) -> str:
    if isinstance(obj, Level2Season):
        return (
            f"Season code {obj.season} is not supported: use 21 (spring), 22 (summer), "
            "23 (autumn) or 24 (winter)."
        )
    if isinstance(obj, OneOfASet | MultipleDates):
        return "Sets of dates in [ ] or { } are not supported: enter a single date or a range."
    if isinstance(obj, LongYear):
        return (
            f"Years written with Y or an exponent are not supported: years must have four "
            f"digits, between {MIN_YEAR} and {MAX_YEAR}."
        )
    if isinstance(obj, Unspecified):
        return "Unspecified digits (X) are not supported: write only the part of the date you know."
    if isinstance(obj, PartialUncertainOrApproximate):
        return (
            "A qualifier (~, ? or %) must follow the whole date, as in 2025-12~: qualifying only "
            "part of a date is not supported."
        )
    if isinstance(obj, DateAndTime):
        return "Times are not supported: enter the day only, for example 2020-05-16."
    if getattr(obj, "significant_digits", None):
        return "Significant digits (S) are not supported: write the year you mean, e.g. 1950."
    return f"'{obj}' uses an EDTF feature that is not supported. {_EXAMPLES}"


def _explain_unreadable(text: str) -> str:
    """Say which part of a rejected date is impossible, if we can tell."""
    for match in re.finditer(r"(\d{4})-(\d{2})(?:-(\d{2}))?", text):
        token, (year, month, day) = match.group(0), match.groups()
        year, month = int(year), int(month)
        if day is None and month in _SEASON_MONTHS:
            continue
        if not 1 <= month <= 12:
            return (
                f"{token} is not a real date: months go from 01 to 12 (and 21 to 24 for seasons)."
            )
        if day is not None:
            days = (_first_day(year, month + 1) - _first_day(year, month)).days
            if not 1 <= int(day) <= days:
                name = _ENGLISH_MONTHS[month - 1]
                return f"{token} is not a real date: {name} {year} has {days} days."
    return f"'{text}' is not a date we understand. {_EXAMPLES}"


def _words(lang: str) -> _Words:
    language = str(lang).replace("_", "-").split("-")[0].lower()
    return _LANGUAGES.get(language, _FRENCH)


def _day(day: int, words: _Words) -> str:
    return words.first_day if day == 1 else str(day)


def _plain(point: _Point, words: _Words, with_year: bool = True) -> str:
    """The point without its qualifiers, e.g. '27 mars 2025'."""
    parts = []
    if point.day:
        parts.append(_day(point.day, words))
    if point.season:
        parts.append(words.seasons[point.season - 21])
    elif point.month:
        parts.append(words.months[point.month - 1])
    if with_year:
        parts.append(str(point.year))
    return " ".join(parts)


def _qualified(point: _Point, words: _Words) -> str:
    label = _plain(point, words)
    if point.approximate:
        about = words.about_day if point.day else words.about
        label = f"{about} {label}"
    if point.uncertain:
        label = f"{label} {words.uncertain}"
    return label


def _range(start: _Point, end: _Point, words: _Words) -> str:
    if start == end:
        return _qualified(start, words)
    if start.qualified or end.qualified:
        # Sharing the month or year would make a qualifier seem to cover the whole range.
        return f"{_qualified(start, words)} – {_qualified(end, words)}"
    head = _start_without_shared_parts(start, end, words)
    compact = start.precision == end.precision and " " not in head
    return f"{head}{'–' if compact else ' – '}{_plain(end, words)}"


def _start_without_shared_parts(start: _Point, end: _Point, words: _Words) -> str:
    if start.year != end.year or start.precision == "year":
        return _plain(start, words)
    if start.day and end.day and start.month == end.month:
        return _day(start.day, words)
    return _plain(start, words, with_year=False)


# The edtf grammar (pyparsing) takes tens of milliseconds per parse, and every page, API
# item and projection reads the same few thousand dates again and again. The result is
# immutable, so keep the recent ones. Non-text input skips the cache (it is not hashable).
_read_uncached = _read


@functools.lru_cache(maxsize=16384)
def _read_cached(text: str) -> tuple[str, tuple[_Point, ...]]:
    return _read_uncached(text)


def _read(text: str) -> tuple[str, tuple[_Point, ...]]:  # type: ignore[no-redef]
    return _read_cached(text) if isinstance(text, str) else _read_uncached(text)
