"""EDTF dates as editors write them: parsing, bounds and display in French or English.

We accept EDTF level 0 and the parts of levels 1 and 2 that a timeline needs, and keep three
meanings apart because readers draw conclusions from them:

- a *point* at some precision: days, months, years, seasons 21–24, with a qualifier ~ ? % on
  the whole date (``2025-03-27``, ``2022-10``, ``2022-23``, ``2025-12~``);
- a *span*, something that lasted, a closed range of two points (``2023-05-16/2023-05-20``);
- a *window*, one moment somewhere in it, the day unknown: an EDTF "one of a set" in square
  brackets (``[2023-05-16..2023-05-20]``, ``[..2025-11-24]``, ``[2025-11..]``,
  ``[2023-05-16,2023-05-18]``).

Everything else is rejected with a sentence an editor can act on.
"""

import datetime
import functools
import re
from dataclasses import dataclass

from django.utils.translation import get_language
from edtf import (
    Consecutives,
    Date,
    DateAndTime,
    EarlierConsecutives,
    Interval,
    LaterConsecutives,
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
    "a range such as 2023-05-16/2023-05-20 (something that lasted), "
    "or a window such as [2023-05-16..2023-05-20] (one day within it)."
)

POINT, SPAN, WINDOW = "point", "span", "window"
MEANINGS = (POINT, SPAN, WINDOW)
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
    precision: str  # "day" | "month" | "season" | "year" | "interval" | "window"
    meaning: str = POINT  # POINT | SPAN | WINDOW
    open_start: bool = False  # a window known only by its end, [..2025-11-24]
    open_end: bool = False  # a window known only by its start, [2025-11..]

    @property
    def anchor(self) -> datetime.date:
        """The one day to place the date on a line: its start, or its end if only that is known."""
        return self.upper if self.open_start and not self.open_end else self.lower

    @property
    def is_day(self) -> bool:
        """True for a single day known exactly (no qualifier)."""
        return (
            self.meaning == POINT
            and self.precision == "day"
            and not (self.approximate or self.uncertain)
        )


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
class _Window:
    """One moment in a set: members earliest first, each a (start, end) pair of points."""

    members: tuple[tuple[_Point, _Point], ...]
    open_start: bool
    open_end: bool


@dataclass(frozen=True)
class _Words:
    months: tuple[str, ...]
    seasons: tuple[str, ...]
    first_day: str
    about: str
    about_day: str
    uncertain: str
    day_article: str  # "le " before a day in French
    between: str  # "entre {a} et {b}"
    before: str
    after: str
    either: str  # joins the members of a set


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
    day_article="le ",
    between="entre {a} et {b}",
    before="avant",
    after="après",
    either=" ou ",
)
_ENGLISH = _Words(
    months=_ENGLISH_MONTHS,
    seasons=("spring", "summer", "autumn", "winter"),
    first_day="1",
    about="about",
    about_day="about",
    uncertain="(uncertain)",
    day_article="",
    between="between {a} and {b}",
    before="before",
    after="after",
    either=" or ",
)
_LANGUAGES = {"fr": _FRENCH, "en": _ENGLISH}


def parse(text: str) -> EdtfDate:
    """Read an EDTF string; raise InvalidDate if we cannot store it."""
    normalised, reading = _read_any(text)
    if isinstance(reading, _Window):
        return EdtfDate(
            text=normalised,
            lower=_EARLIEST if reading.open_start else reading.members[0][0].lower,
            upper=_LATEST if reading.open_end else reading.members[-1][1].upper,
            approximate=False,
            uncertain=False,
            precision="window",
            meaning=WINDOW,
            open_start=reading.open_start,
            open_end=reading.open_end,
        )
    points = reading
    first, last = points[0], points[-1]
    return EdtfDate(
        text=normalised,
        lower=first.lower,
        upper=last.upper,
        approximate=any(point.approximate for point in points),
        uncertain=any(point.uncertain for point in points),
        precision="interval" if len(points) == 2 else first.precision,
        meaning=SPAN if len(points) == 2 else POINT,
    )


def meaning(text: str) -> str:
    """'point', 'span' or 'window' for a valid EDTF string."""
    return parse(text).meaning


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
    _, reading = _read_any(text)
    if isinstance(reading, _Window):
        return _window(reading, words)
    points = reading
    if len(points) == 1:
        return _qualified(points[0], words)
    start, end = points
    return _range(start, end, words)


_EARLIEST = datetime.date(MIN_YEAR, 1, 1)
_LATEST = datetime.date(MAX_YEAR, 12, 31)


def _read_any(text: str) -> tuple[str, tuple[_Point, ...] | _Window]:
    """(normalised text, points of a point or span | a window)."""
    if isinstance(text, str) and text.strip().startswith("["):
        return _read_window(text.strip())
    return _read(text)


def _read_window(text: str) -> tuple[str, _Window]:
    """Read a one-of-a-set window with the edtf grammar, then check each member as a point."""
    if "X" in text.upper():
        raise InvalidDate(
            "Unspecified digits (X) are not supported: write only the part of the date you "
            "know, for example 2015 rather than 201X."
        )
    try:
        parsed = parse_edtf(text)
    except Exception as error:
        raise InvalidDate(
            f"'{text}' is not a window we understand. Write one day within a window as "
            "[2023-05-16..2023-05-20], before a day as [..2025-11-24], after a month as "
            "[2025-11..], or one of several dates as [2023-05-16,2023-05-18]; qualifiers "
            "(~ ? %) and seasons are not allowed inside [ ]."
        ) from error
    if not isinstance(parsed, OneOfASet):
        raise InvalidDate(_unsupported(parsed))
    members: list[tuple[_Point, _Point]] = []
    open_start = open_end = False
    objects = list(parsed.objects)
    for index, member in enumerate(objects):
        if isinstance(member, EarlierConsecutives):
            if index != 0:
                raise InvalidDate("Only the first date of a window can be open (..2025-11-24).")
            open_start = True
            point = _point(member.upper)
            members.append((point, point))
        elif isinstance(member, LaterConsecutives):
            if index != len(objects) - 1:
                raise InvalidDate("Only the last date of a window can be open (2025-11..).")
            open_end = True
            point = _point(member.lower)
            members.append((point, point))
        elif isinstance(member, Consecutives):
            start, end = _point(member.lower), _point(member.upper)
            if end.upper < start.lower:
                raise InvalidDate(
                    f"The end of the window ({member.upper}) is before its start ({member.lower})."
                )
            members.append((start, end))
        else:
            point = _point(member)
            members.append((point, point))
    for (_, previous), (following, _) in zip(members, members[1:], strict=False):
        if following.lower <= previous.upper:
            raise InvalidDate(
                "The dates of a window must be written in order, earliest first, "
                "without overlapping."
            )
    normalised = str(parsed).replace(", ", ",")
    return normalised, _Window(tuple(members), open_start, open_end)


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
            "Open-ended ranges are not supported: for something that lasted, give both the "
            "start and the end, for example 2023-05-16/2023-05-20; for one day known only to "
            "be before or after a date, write a window such as [..2025-11-24] or [2025-11..]."
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
    if isinstance(obj, MultipleDates):
        return (
            "Sets of dates in { } (all of these dates) are not supported: record one "
            "development per date, or write a window in [ ] for one day among them."
        )
    if isinstance(obj, OneOfASet):
        return "Sets of dates in [ ] can only stand on their own, not inside a range."
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


def _on(point: _Point, words: _Words, with_year: bool = True) -> str:
    """'le 16 mai 2023' in French, '16 May 2023' in English; months and years bare."""
    label = _plain(point, words, with_year)
    return f"{words.day_article}{label}" if point.day else label


def _between(start: _Point, end: _Point, words: _Words) -> str:
    if start == end:
        return _on(start, words)
    if start.year != end.year or start.precision == "year":
        head = _on(start, words)
    elif start.day and end.day and start.month == end.month:
        head = f"{words.day_article}{_day(start.day, words)}"
    else:
        head = _on(start, words, with_year=False)
    return words.between.format(a=head, b=_on(end, words))


def _window(window: _Window, words: _Words) -> str:
    """'entre le 16 et le 20 mai 2023', 'avant le 24 novembre 2025', 'après novembre 2025'."""
    parts = [_between(start, end, words) for start, end in window.members]
    if window.open_start:
        parts[0] = f"{words.before} {_on(window.members[0][1], words)}"
    if window.open_end:
        parts[-1] = f"{words.after} {_on(window.members[-1][0], words)}"
    return words.either.join(parts)


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


_read_any_uncached = _read_any


@functools.lru_cache(maxsize=16384)
def _read_cached(text: str) -> tuple[str, tuple[_Point, ...]]:
    return _read_uncached(text)


@functools.lru_cache(maxsize=4096)
def _read_any_cached(text: str) -> tuple[str, tuple[_Point, ...] | _Window]:
    return _read_any_uncached(text)


def _read(text: str) -> tuple[str, tuple[_Point, ...]]:  # type: ignore[no-redef]
    return _read_cached(text) if isinstance(text, str) else _read_uncached(text)


def _read_any(text: str) -> tuple[str, tuple[_Point, ...] | _Window]:  # type: ignore[no-redef]
    return _read_any_cached(text) if isinstance(text, str) else _read_any_uncached(text)
