"""French (and some English) temporal expressions → EDTF, read on spaCy's tokens.

A small hand-written grammar: at each token of a sentence we try, in order, a range ("du 16 au
20 mai 2023"), a day ("le mardi 3 mars"), a month ("octobre 2022"), a season ("au printemps
2027"), a relative expression ("la semaine prochaine", "il y a dix ans", "mardi dernier"), an
anniversary ("le 32e anniversaire") and a bare year ("en 2015"). Each match is resolved against
the publication date and keeps its reasoning in `note`, in French, for the editor.

Three meanings are kept apart, as in DESIGN.md: a point, a span `a/b` (it lasted), and one moment
in a window `[a..b]`, `[..b]`, `[a..]` (the day is unknown).
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from timeline import dates

FAR_PAST = datetime.date(dates.MIN_YEAR, 1, 1)
FAR_FUTURE = datetime.date(dates.MAX_YEAR, 12, 31)

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("janvier", "january", "jan", "janv"),
            ("février", "fevrier", "february", "feb", "févr"),
            ("mars", "march"),
            ("avril", "april", "avr"),
            ("mai", "may"),
            ("juin", "june"),
            ("juillet", "july", "juil"),
            ("août", "aout", "august"),
            ("septembre", "september", "sept"),
            ("octobre", "october", "oct"),
            ("novembre", "november", "nov"),
            ("décembre", "decembre", "december", "déc"),
        ),
        start=1,
    )
    for name in names
}
MONTH_NAMES_FR = (
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split()
)
WEEKDAYS = {
    name: number
    for number, names in enumerate(
        (
            ("lundi", "monday"),
            ("mardi", "tuesday"),
            ("mercredi", "wednesday"),
            ("jeudi", "thursday"),
            ("vendredi", "friday"),
            ("samedi", "saturday"),
            ("dimanche", "sunday"),
        )
    )
    for name in names
}
SEASONS = {
    "printemps": 21,
    "spring": 21,
    "été": 22,
    "summer": 22,
    "automne": 23,
    "autumn": 23,
    "fall": 23,
    "hiver": 24,
    "winter": 24,
}
SEASON_NAMES_FR = {21: "printemps", 22: "été", 23: "automne", 24: "hiver"}
NUMBER_WORDS = {
    "un": 1,
    "une": 1,
    "deux": 2,
    "trois": 3,
    "quatre": 4,
    "cinq": 5,
    "six": 6,
    "sept": 7,
    "huit": 8,
    "neuf": 9,
    "dix": 10,
    "onze": 11,
    "douze": 12,
    "quinze": 15,
    "vingt": 20,
    "trente": 30,
    "quarante": 40,
    "cinquante": 50,
    "cent": 100,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "ten": 10,
    "twenty": 20,
}
ORDINAL_WORDS = {
    "premier": 1,
    "deuxième": 2,
    "troisième": 3,
    "cinquième": 5,
    "dixième": 10,
    "vingtième": 20,
    "trentième": 30,
    "cinquantième": 50,
    "centième": 100,
}
NEXT = {"prochain", "prochaine", "next", "suivant", "suivante"}
LAST = {"dernier", "dernière", "last", "passé", "passée", "précédent", "précédente"}
RECENT = {"récemment", "récent", "récente", "récents", "récentes", "recently", "recent"}
SOON = {"bientôt", "prochainement", "soon", "shortly"}
_DAY = re.compile(r"(\d{1,2})(?:er|ᵉʳ|st|nd|rd|th)?")
_YEAR = re.compile(r"(1[89]\d\d|20\d\d)")
_NUMERIC = re.compile(r"(\d{1,2})[./](\d{1,2})[./]((?:19|20)\d\d)")
_ORDINAL = re.compile(r"(\d{1,3})(?:e|ᵉ|ème|eme|è|th|st|nd|rd)")


@dataclass(frozen=True)
class Publication:
    """When the text was published: a day, or only a month or year (precision is kept)."""

    edtf: str
    lower: datetime.date
    upper: datetime.date

    @property
    def day(self) -> datetime.date | None:
        return self.lower if self.lower == self.upper else None

    @property
    def year(self) -> int:
        return self.lower.year

    def said(self) -> str:
        """'un article du 24 novembre 2025', 'un article de 2026'."""
        if self.day is not None:
            return f"un article du {say_day(self.day)}"
        return f"un article de {dates.display(self.edtf, 'fr')}"

    @classmethod
    def of(cls, value: str | datetime.date | None) -> Publication | None:
        if value is None or value == "":
            return None
        if isinstance(value, datetime.date):
            return cls(value.isoformat(), value, value)
        lower, upper = dates.bounds(value)
        return cls(dates.parse(value).text, lower, upper)


@dataclass(frozen=True)
class Temporal:
    """One temporal expression found in a text, resolved to EDTF."""

    start: int  # character offsets into the text
    end: int
    text: str
    edtf: str
    lower: datetime.date
    upper: datetime.date
    meaning: str  # "point" | "span" | "window"
    note: str  # the reasoning; empty when the text wrote the date out in full
    relative: bool = False
    anniversary: bool = False


# --- EDTF writing -------------------------------------------------------------------------


def say_day(day: datetime.date) -> str:
    first = "1er" if day.day == 1 else str(day.day)
    return f"{first} {MONTH_NAMES_FR[day.month - 1]} {day.year}"


def _month_end(year: int, month: int) -> datetime.date:
    nxt = datetime.date(year + month // 12, month % 12 + 1, 1)
    return nxt - datetime.timedelta(days=1)


def _day_point(day: datetime.date) -> tuple[str, datetime.date, datetime.date]:
    return day.isoformat(), day, day


def _month_point(year: int, month: int) -> tuple[str, datetime.date, datetime.date]:
    return f"{year:04d}-{month:02d}", datetime.date(year, month, 1), _month_end(year, month)


def _year_point(year: int) -> tuple[str, datetime.date, datetime.date]:
    return f"{year:04d}", datetime.date(year, 1, 1), datetime.date(year, 12, 31)


def window(lower: datetime.date | None, upper: datetime.date | None) -> str:
    """EDTF for one moment somewhere between lower and upper (either may be open)."""
    a = lower.isoformat() if lower else ""
    b = upper.isoformat() if upper else ""
    return f"[{a}..{b}]"


_WINDOW = re.compile(r"\[(\d{4}(?:-\d{2}){0,2})?\.\.(\d{4}(?:-\d{2}){0,2})?\]")


def bounds_of(edtf: str) -> tuple[datetime.date, datetime.date]:
    """(lower, upper) of an EDTF string, windows `[a..b]` included (open ends are far away)."""
    match = _WINDOW.fullmatch(edtf.strip())
    if match is None:
        return dates.bounds(edtf)
    a, b = match.groups()
    lower = dates.bounds(a)[0] if a else FAR_PAST
    upper = dates.bounds(b)[1] if b else FAR_FUTURE
    return lower, upper


# --- Reading tokens -----------------------------------------------------------------------


def _norm(text: str) -> str:
    return unicodedata.normalize("NFC", text.lower().replace("’", "'"))


def _as_day(text: str) -> int | None:
    match = _DAY.fullmatch(text)
    if match and 1 <= int(match.group(1)) <= 31:
        return int(match.group(1))
    if text in ("premier", "first"):
        return 1
    return None


def _as_year(text: str) -> int | None:
    match = _YEAR.fullmatch(text)
    return int(match.group(1)) if match else None


def _as_number(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    return NUMBER_WORDS.get(text)


def _as_ordinal(text: str) -> int | None:
    match = _ORDINAL.fullmatch(text)
    if match:
        return int(match.group(1))
    return ORDINAL_WORDS.get(text)


class _Reader:
    """The grammar over one sentence's tokens; `words[i]` is the normalised text of token i."""

    def __init__(self, tokens: Sequence[Any], published: Publication | None) -> None:
        self.tokens = tokens
        self.words = [_norm(t.text) for t in tokens]
        self.published = published

    def word(self, i: int) -> str:
        return self.words[i] if 0 <= i < len(self.words) else ""

    def span(self, i: int, j: int) -> tuple[int, int, str]:
        start = self.tokens[i].idx
        last = self.tokens[j - 1]
        end = last.idx + len(last.text)
        doc_text = last.doc.text
        return start, end, doc_text[start:end]

    def make(
        self,
        i: int,
        j: int,
        edtf: str,
        lower: datetime.date,
        upper: datetime.date,
        meaning: str,
        note: str = "",
        relative: bool = False,
        anniversary: bool = False,
    ) -> tuple[int, Temporal]:
        start, end, text = self.span(i, j)
        return j, Temporal(
            start, end, text, edtf, lower, upper, meaning, note, relative, anniversary
        )

    # -- helpers --------------------------------------------------------------------------

    def _weekday_at(self, i: int) -> tuple[int | None, int]:
        if self.word(i) in WEEKDAYS:
            return WEEKDAYS[self.word(i)], i + 1
        return None, i

    def _year_missing(self, month: int, day: int | None = None) -> tuple[int, str] | None:
        """The year of a date written without one: the publication's, said in the note."""
        if self.published is None:
            return None
        return self.published.year, f"année non écrite : celle de {self.published.said()}"

    def _relative_note(self, expression: str) -> str:
        assert self.published is not None
        return f"« {expression} » dans {self.published.said()}"

    # -- the rules ------------------------------------------------------------------------

    def read(self) -> list[Temporal]:
        found: list[Temporal] = []
        i = 0
        rules = (
            self.range_,
            self.between,
            self.day_month,
            self.numeric,
            self.month_year,
            self.season,
            self.relative,
            self.anniversary,
            self.year,
        )
        while i < len(self.words):
            for rule in rules:
                result = rule(i)
                if result is not None:
                    j, temporal = result
                    found.append(temporal)
                    i = j
                    break
            else:
                i += 1
        return found

    def _date_parts(self, i: int) -> tuple[int, int | None, int | None, int | None, int] | None:
        """[weekday] DAY [MONTH [YEAR]] → (day, month, year, weekday, next index)."""
        weekday, k = self._weekday_at(i)
        day = _as_day(self.word(k))
        if day is None:
            return None
        k += 1
        month = MONTHS.get(self.word(k))
        if month is None:
            return day, None, None, weekday, k
        k += 1
        year = _as_year(self.word(k))
        if year is not None:
            k += 1
        return day, month, year, weekday, k

    def range_(self, i: int) -> tuple[int, Temporal] | None:
        """du (mardi) 16 (mai) au (samedi) 20 mai 2023; de mars à mai 2024: a span."""
        if self.word(i) not in ("du", "de", "from"):
            return None
        k = i + 1
        if self.word(k) in MONTHS:  # de mars à mai 2024
            m1 = MONTHS[self.word(k)]
            y1 = _as_year(self.word(k + 1))
            k2 = k + (2 if y1 else 1)
            if (
                self.word(k2) not in ("à", "a", "au", "to", "-", "–")
                or self.word(k2 + 1) not in MONTHS
            ):
                return None
            m2 = MONTHS[self.word(k2 + 1)]
            y2 = _as_year(self.word(k2 + 2))
            end = k2 + (3 if y2 else 2)
            if y2 is None:
                return None
            y1 = y1 or (y2 if m1 <= m2 else y2 - 1)
            a, lo, _ = _month_point(y1, m1)
            b, _, hi = _month_point(y2, m2)
            return self.make(i, end, f"{a}/{b}", lo, hi, "span")
        first = self._date_parts(k)
        if first is None:
            return None
        d1, m1o, y1o, _, k = first
        if self.word(k) not in ("au", "à", "a", "to", "-", "–", "until"):
            return None
        second = self._date_parts(k + 1)
        if second is None or second[1] is None:
            return None
        d2, month2, y2o, _, end = second
        assert month2 is not None
        m2 = month2
        note = ""
        if y2o is None:
            missing = self._year_missing(m2, d2)
            if missing is None:
                return None
            y2, note = missing
        else:
            y2 = y2o
        m1 = m1o or m2
        y1 = y1o or (y2 if (m1, d1) <= (m2, d2) else y2 - 1)
        try:
            lo, hi = datetime.date(y1, m1, d1), datetime.date(y2, m2, d2)
        except ValueError:
            return None
        if hi < lo:
            return None
        return self.make(i, end, f"{lo.isoformat()}/{hi.isoformat()}", lo, hi, "span", note)

    def between(self, i: int) -> tuple[int, Temporal] | None:
        """entre le 16 et le 20 mai 2023: one moment in that window."""
        if self.word(i) not in ("entre", "between"):
            return None
        k = i + 1 + (self.word(i + 1) in ("le", "the"))
        first = self._date_parts(k)
        if first is None:
            return None
        d1, m1o, y1o, _, k = first
        if self.word(k) not in ("et", "and"):
            return None
        k += 1 + (self.word(k + 1) in ("le", "the"))
        second = self._date_parts(k)
        if second is None or second[1] is None:
            return None
        d2, m2, y2, _, end = second
        assert m2 is not None
        note = ""
        if y2 is None:
            missing = self._year_missing(m2, d2)
            if missing is None:
                return None
            y2, note = missing
        m1 = m1o or m2
        y1 = y1o or y2
        try:
            lo, hi = datetime.date(y1, m1, d1), datetime.date(y2, m2, d2)
        except ValueError:
            return None
        if hi < lo:
            return None
        return self.make(i, end, window(lo, hi), lo, hi, "window", note)

    def day_month(self, i: int) -> tuple[int, Temporal] | None:
        """(le) (mardi) 3 mars (2026): a day; without a year, the publication's year."""
        start = i
        parts = self._date_parts(i)
        if parts is None or parts[1] is None:
            return None
        day, month, year, weekday, end = parts
        assert month is not None
        note = ""
        if year is None:
            if self.published is None:
                return None
            year = self.published.year
            if self.word(end) in LAST | NEXT:
                # "le 3 mars dernier": the last 3 March before the publication (or the next)
                end += 1
                if _valid(year, month, day):
                    candidate = datetime.date(year, month, day)
                    if self.word(end - 1) in LAST and candidate > self.published.upper:
                        year -= 1
                    elif self.word(end - 1) in NEXT and candidate < self.published.lower:
                        year += 1
            elif weekday is not None:
                # A weekday pins the year: the nearest year to the publication where it fits.
                for candidate_year in (year, year + 1, year - 1):
                    if (
                        _valid(candidate_year, month, day)
                        and datetime.date(candidate_year, month, day).weekday() == weekday
                    ):
                        year = candidate_year
                        break
            spoken = self.span(start, end)[2]
            note = (
                f"« {spoken} » sans année dans {self.published.said()} : "
                f"le {say_day(datetime.date(year, month, day))}"
                if _valid(year, month, day)
                else ""
            )
            if weekday is not None and _valid(year, month, day):
                if datetime.date(year, month, day).weekday() == weekday:
                    note += " (le jour de la semaine concorde)"
        if not _valid(year, month, day):
            return None
        edtf, lo, hi = _day_point(datetime.date(year, month, day))
        return self.make(start, end, edtf, lo, hi, "point", note)

    def numeric(self, i: int) -> tuple[int, Temporal] | None:
        """16/05/2023 or 16.05.2023 (day first, as French writes it)."""
        match = _NUMERIC.fullmatch(self.word(i))
        if match is None:
            return None
        day, month, year = (int(g) for g in match.groups())
        if not _valid(year, month, day):
            return None
        edtf, lo, hi = _day_point(datetime.date(year, month, day))
        return self.make(i, i + 1, edtf, lo, hi, "point")

    def month_year(self, i: int) -> tuple[int, Temporal] | None:
        """(en|début|fin) octobre 2022: a month; "en mars" alone takes the publication's year."""
        month = MONTHS.get(self.word(i))
        if month is None:
            return None
        year = _as_year(self.word(i + 1))
        if year is not None:
            edtf, lo, hi = _month_point(year, month)
            return self.make(i, i + 2, edtf, lo, hi, "point")
        if self.published is None:
            return None
        shift = self.word(i + 1)
        if (
            self.word(i - 1) not in ("en", "in", "début", "fin", "mi", "mi-")
            and shift not in LAST | NEXT
        ):
            return None
        year = self.published.year
        end = i + 1
        if shift in LAST | NEXT:
            end = i + 2
            if shift in LAST and datetime.date(year, month, 1) > self.published.upper:
                year -= 1
            elif shift in NEXT and _month_end(year, month) < self.published.lower:
                year += 1
        edtf, lo, hi = _month_point(year, month)
        note = f"« {self.span(i, end)[2]} » sans année dans {self.published.said()}"
        return self.make(i, end, edtf, lo, hi, "point", note, relative=True)

    def season(self, i: int) -> tuple[int, Temporal] | None:
        """au printemps 2027, à l'automne 2022, l'hiver dernier: a season (EDTF 21–24)."""
        code = SEASONS.get(self.word(i))
        if code is None:
            return None
        year = _as_year(self.word(i + 1))
        note = ""
        end = i + 1
        if year is not None:
            end = i + 2
        else:
            if self.published is None:
                return None
            shift = 0
            if self.word(i + 1) in NEXT:
                shift, end = 1, i + 2
            elif self.word(i + 1) in LAST:
                shift, end = -1, i + 2
            elif self.word(i - 1) not in ("cet", "ce", "cette", "this", "au", "en", "à", "l'"):
                return None
            year = self.published.year
            here = self._season_of(self.published.lower)
            if shift == 1 and code <= here:
                year += 1
            elif shift == -1 and code >= here:
                year -= 1
            said = self.span(i, end)[2]
            note = self._relative_note(said)
        lo, hi = dates.bounds(f"{year:04d}-{code}")
        return self.make(i, end, f"{year:04d}-{code}", lo, hi, "point", note, relative=bool(note))

    @staticmethod
    def _season_of(day: datetime.date) -> int:
        return {12: 24, 1: 24, 2: 24, 3: 21, 4: 21, 5: 21, 6: 22, 7: 22, 8: 22}.get(day.month, 23)

    def relative(self, i: int) -> tuple[int, Temporal] | None:
        if self.published is None:
            return None
        w = self.word(i)
        pub = self.published
        day = pub.day
        # aujourd'hui, ce matin, hier, demain
        single = {
            "aujourd'hui": 0,
            "today": 0,
            "hier": -1,
            "yesterday": -1,
            "demain": 1,
            "tomorrow": 1,
            "avant-hier": -2,
            "après-demain": 2,
        }
        if w in single or (
            w in ("ce", "this") and self.word(i + 1) in ("matin", "soir", "morning")
        ):
            end = i + 1 if w in single else i + 2
            said = self.span(i, end)[2]
            if day is None:
                return self.make(
                    i, end, pub.edtf, pub.lower, pub.upper, "point", self._relative_note(said), True
                )
            target = day + datetime.timedelta(days=single.get(w, 0))
            edtf, lo, hi = _day_point(target)
            return self.make(i, end, edtf, lo, hi, "point", self._relative_note(said), True)
        # la semaine prochaine / dernière, cette semaine; le mois / l'année ...
        unit_at = (
            i + 1 if w in ("la", "le", "l'", "cette", "ce", "cet", "this", "next", "last") else None
        )
        if unit_at is not None:
            unit = self.word(unit_at)
            after = self.word(unit_at + 1)
            if w in ("cette", "ce", "cet", "this"):
                shift, end = 0, unit_at + 1
                if unit == "mois-ci":
                    unit = "mois"
            elif w in ("next", "last"):
                shift, end = (1 if w == "next" else -1), unit_at + 1
            elif after in NEXT:
                shift, end = 1, unit_at + 2
            elif after in LAST:
                shift, end = -1, unit_at + 2
            else:
                shift, end = 0, -1
            if end > 0 and unit in ("semaine", "week", "mois", "month", "année", "an", "year"):
                said = self.span(i, end)[2]
                note = self._relative_note(said)
                if unit in ("semaine", "week"):
                    if day is None:
                        return None
                    monday = (
                        day
                        - datetime.timedelta(days=day.weekday())
                        + datetime.timedelta(weeks=shift)
                    )
                    sunday = monday + datetime.timedelta(days=6)
                    note += f" : semaine du {say_day(monday)} au {say_day(sunday)}"
                    return self.make(
                        i, end, window(monday, sunday), monday, sunday, "window", note, True
                    )
                if unit in ("mois", "month"):
                    if pub.lower.month != pub.upper.month or pub.lower.year != pub.upper.year:
                        return None
                    y, m = pub.lower.year, pub.lower.month + shift
                    y, m = y + (m - 1) // 12, (m - 1) % 12 + 1
                    edtf, lo, hi = _month_point(y, m)
                    return self.make(i, end, edtf, lo, hi, "point", note, True)
                if shift == 0 and unit == "an":
                    return None
                edtf, lo, hi = _year_point(pub.year + shift)
                return self.make(i, end, edtf, lo, hi, "point", note, True)
        # mardi dernier / prochain
        if w in WEEKDAYS and self.word(i + 1) in NEXT | LAST and day is not None:
            target_wd = WEEKDAYS[w]
            if self.word(i + 1) in NEXT:
                delta = (target_wd - day.weekday()) % 7 or 7
            else:
                delta = -((day.weekday() - target_wd) % 7 or 7)
            target = day + datetime.timedelta(days=delta)
            said = self.span(i, i + 2)[2]
            note = f"{self._relative_note(said)} : le {WEEKDAY_FR[target_wd]} {say_day(target)}"
            edtf, lo, hi = _day_point(target)
            return self.make(i, i + 2, edtf, lo, hi, "point", note, True)
        # il y a dix ans / trois mois
        if w == "il" and self.word(i + 1) == "y" and self.word(i + 2) == "a":
            n = _as_number(self.word(i + 3))
            unit = self.word(i + 4)
            if n is None:
                return None
            said = self.span(i, i + 5)[2]
            note = self._relative_note(said)
            if unit in ("an", "ans", "année", "années"):
                year = pub.year - n
                note += f" : {pub.year} − {n} = {year}, à un an près"
                edtf, lo, hi = _year_point(year)
                return self.make(i, i + 5, edtf + "~", lo, hi, "point", note, True)
            if unit == "mois" and pub.lower.month == pub.upper.month:
                y, m = pub.lower.year, pub.lower.month - n
                y, m = y + (m - 1) // 12, (m - 1) % 12 + 1
                edtf, lo, hi = _month_point(y, m)
                return self.make(i, i + 5, edtf + "~", lo, hi, "point", note, True)
            if unit in ("jour", "jours") and day is not None:
                edtf, lo, hi = _day_point(day - datetime.timedelta(days=n))
                return self.make(i, i + 5, edtf, lo, hi, "point", note, True)
            if unit in ("semaine", "semaines") and day is not None:
                target = day - datetime.timedelta(weeks=n)
                monday = target - datetime.timedelta(days=target.weekday())
                sunday = monday + datetime.timedelta(days=6)
                return self.make(
                    i, i + 5, window(monday, sunday), monday, sunday, "window", note, True
                )
            return None
        # récemment, récente rencontre / bientôt, prochainement
        if w in RECENT:
            note = f"{self._relative_note(self.words[i])} : avant la publication"
            return self.make(
                i, i + 1, window(None, pub.upper), FAR_PAST, pub.upper, "window", note, True
            )
        if w in SOON:
            note = f"{self._relative_note(self.words[i])} : après la publication"
            return self.make(
                i, i + 1, window(pub.lower, None), pub.lower, FAR_FUTURE, "window", note, True
            )
        return None

    def anniversary(self, i: int) -> tuple[int, Temporal] | None:
        """le 32e anniversaire de …: the origin was N years before the year of the text."""
        n = _as_ordinal(self.word(i))
        if n is None or self.word(i + 1) != "anniversaire" or self.published is None:
            return None
        year = self.published.year - n
        said = self.span(i, i + 2)[2]
        note = (
            f"« {said} » dans {self.published.said()} : "
            f"{self.published.year} − {n} = {year}, année de l'origine"
        )
        edtf, lo, hi = _year_point(year)
        return self.make(i, i + 2, edtf, lo, hi, "point", note, True, anniversary=True)

    def year(self, i: int) -> tuple[int, Temporal] | None:
        """en 2015, 2022: a year, unless it only starts a duration ("depuis 1992")."""
        year = _as_year(self.word(i))
        if year is None or self.word(i - 1) in ("depuis", "since", "d'ici", "horizon", "°"):
            return None
        # "Vision 2040", "Agenda 2030": a year after a noun is part of a name
        if (
            i > 0
            and self.tokens[i - 1].pos_ in ("NOUN", "PROPN", "ADJ")
            and self.word(i - 1) not in ("année", "an", "year", "fin", "début", "mi", "courant")
        ):
            return None
        # a year followed by a unit is a quantity ("2000 tonnes"), not a date
        if self.word(i + 1) in (
            "km",
            "tonnes",
            "habitants",
            "personnes",
            "mètres",
            "euros",
            "dollars",
        ):
            return None
        edtf, lo, hi = _year_point(year)
        return self.make(i, i + 1, edtf, lo, hi, "point")


WEEKDAY_FR = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


def _valid(year: int, month: int, day: int) -> bool:
    try:
        datetime.date(year, month, day)
    except ValueError:
        return False
    return dates.MIN_YEAR <= year <= dates.MAX_YEAR


def read_temporals(tokens: Sequence[Any], published: Publication | None) -> list[Temporal]:
    """Every temporal expression in a run of spaCy tokens (a sentence), in order."""
    return _Reader(tokens, published).read()


def in_margin_of(temporal: Temporal, frame: str) -> Temporal:
    """A development 'en marge de' an event that lasted: one moment in that event's window."""
    if temporal.meaning != "span":
        return temporal
    note = (temporal.note + " ; " if temporal.note else "") + f"« {frame} » : pendant cet événement"
    return replace(
        temporal, edtf=window(temporal.lower, temporal.upper), meaning="window", note=note
    )
