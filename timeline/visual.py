"""Geometry of the visual timeline: one lane per topic on a time axis, as plain numbers that
templates/timeline/_visual.html draws as SVG (so the template escapes every title).

Up to a few hundred developments each gets its own mark (a dot for a day, a bar for a
month, a season, a year or a span; for a window, one moment somewhere in it, a dot with
whiskers reaching its bounds, never a bar: it did not last), linking to its page. Beyond
that the marks would blur into one another, so each topic shows one dot per month sized by
its count (per year past fifteen years), linking to that month of the filtered timeline.
"""

from __future__ import annotations

import calendar
import datetime
import math
from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from timeline import dates
from timeline.models import Status, Topic
from timeline.selectors import TimelineShape

WIDTH = 960
LABEL_WIDTH = 200
RIGHT = 12
AXIS_HEIGHT = 22
YEARLY_AFTER_YEARS = 15  # beyond this span, aggregated dots count years, not months
LANE_HEIGHT = 20

PALETTE = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#ff7f0e",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#393b79",
    "#637939",
    "#8c6d31",
    "#843c39",
    "#7b4173",
    "#3182bd",
    "#636363",
)


def _index(topic: Topic) -> int:
    return (topic.position if topic.position is not None else topic.pk) % len(PALETTE)


def topic_colour(topic: Topic) -> str:
    """A stable colour per topic, from its position in the topic list."""
    return PALETTE[_index(topic)]


def topic_class(topic: Topic) -> str:
    """The CSS class that sets --topic to the topic's colour (the CSP forbids inline
    styles; kztrack.css defines one class per palette colour)."""
    return f"topic-c{_index(topic)}"


@dataclass(frozen=True)
class Lane:
    topic: Topic
    name: str
    colour: str
    y: float  # centre line


@dataclass(frozen=True)
class Shape:
    """One mark: a circle (r > 0) or a bar (width > 0); a circle may have whiskers from
    whisker_left to whisker_right (a window)."""

    href: str
    title: str
    colour: str
    x: float
    y: float
    r: float = 0
    width: float = 0
    status: str = Status.TOOK_PLACE
    whisker_left: float = 0
    whisker_right: float = 0

    @property
    def whiskers(self) -> bool:
        return self.whisker_right > self.whisker_left

    @property
    def top(self) -> float:
        """A bar's top edge: bars are 10 high, centred on the lane."""
        return round(self.y - 5, 1)


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class Picture:
    width: int
    height: int
    lanes: list[Lane]
    shapes: list[Shape]
    ticks: list[Tick]
    axis_y: int
    aggregated: bool
    total: int
    label: str  # the accessible summary of the picture
    note: str = ""  # how to read aggregated dots
    plot_left: int = LABEL_WIDTH
    label_x: int = LABEL_WIDTH - 8

    @property
    def year_y(self) -> int:
        return self.axis_y - 4


def picture(shape: TimelineShape, *, lang: str, params: dict[str, str]) -> Picture | None:
    """The laid-out picture in `lang`, or None when there is nothing to draw."""
    with translation.override(lang):
        return _picture(shape, lang=lang, params=params)


def _picture(shape: TimelineShape, *, lang: str, params: dict[str, str]) -> Picture | None:
    if not shape.topics or shape.first is None or shape.last is None:
        return None
    start = datetime.date(shape.first.year, 1, 1)
    end = datetime.date(shape.last.year + 1, 1, 1)
    days = (end - start).days
    span = WIDTH - LABEL_WIDTH - RIGHT

    def x(day: datetime.date) -> float:
        return round(LABEL_WIDTH + (day - start).days / days * span, 1)

    lanes = {
        topic.pk: Lane(
            topic=topic,
            name=topic.name(lang),
            colour=topic_colour(topic),
            y=AXIS_HEIGHT + LANE_HEIGHT * (i + 0.5),
        )
        for i, topic in enumerate(shape.topics)
    }
    shapes: list[Shape] = []
    for mark in shape.marks:
        lane = lanes.get(mark.topic_id)
        if lane is None:  # a topic deleted since the shape was cached
            continue
        left, right = x(mark.lower), x(mark.upper + datetime.timedelta(days=1))
        title = f"{dates.display(mark.date, lang)} — {mark.title}"
        href = reverse("timeline:development", args=[mark.id])
        if mark.meaning == dates.WINDOW:
            shapes.append(_window_mark(mark, x, start, end, href, title, lane))
        elif right - left < 4:
            shapes.append(
                Shape(
                    href=href,
                    title=title,
                    colour=lane.colour,
                    x=left,
                    y=lane.y,
                    r=4,
                    status=mark.shown_status,
                )
            )
        else:
            shapes.append(
                Shape(
                    href=href,
                    title=title,
                    colour=lane.colour,
                    x=left,
                    y=lane.y,
                    width=round(right - left, 1),
                    status=mark.shown_status,
                )
            )
    timeline_url = reverse("timeline:timeline")
    by_year = end.year - start.year > YEARLY_AFTER_YEARS
    periods = _periods(shape, by_year=by_year)
    biggest = max((count for *_, count in periods), default=1)
    for topic_id, first, last, period, count in periods:
        lane = lanes.get(topic_id)
        if lane is None:
            continue
        query = {**params, "topic": lane.topic.slug, "from": period, "to": period}
        title = ngettext(
            "%(period)s — %(topic)s: %(count)d development",
            "%(period)s — %(topic)s: %(count)d developments",
            count,
        ) % {"period": dates.display(period, lang), "topic": lane.name, "count": count}
        shapes.append(
            Shape(
                href=f"{timeline_url}?{urlencode(query)}",
                title=title,
                colour=lane.colour,
                x=x(first + (last - first) / 2),
                y=lane.y,
                r=round(1.5 + 6.5 * math.sqrt(count / biggest), 1),
            )
        )
    years = list(range(start.year, end.year + 1))
    step = max(1, math.ceil(len(years) / 12))
    ticks = [
        Tick(x=x(datetime.date(y, 1, 1)), label=str(y) if i % step == 0 else "")
        for i, y in enumerate(years)
    ]
    label = ngettext(
        "%(count)d development from %(first)s to %(last)s, by topic",
        "%(count)d developments from %(first)s to %(last)s, by topic",
        shape.total,
    ) % {"count": shape.total, "first": start.year, "last": end.year - 1}
    note = ""
    if periods:
        note = (
            _("each dot is one year of a topic, sized by how much happened.")
            if by_year
            else _("each dot is one month of a topic, sized by how much happened.")
        )
    return Picture(
        width=WIDTH,
        height=AXIS_HEIGHT + LANE_HEIGHT * len(lanes) + 4,
        lanes=list(lanes.values()),
        shapes=shapes,
        ticks=ticks,
        axis_y=AXIS_HEIGHT - 4,
        aggregated=bool(periods),
        total=shape.total,
        label=label,
        note=note,
    )


def _window_mark(mark, x, start, end, href: str, title: str, lane: Lane) -> Shape:
    """A dot where the moment may be (the middle of a closed window, the known end of an
    open one) with whiskers to the window's bounds, cut at the picture's edges."""
    date = dates.parse(mark.date)
    first = max(date.lower, start)
    after = min(date.upper + datetime.timedelta(days=1), end)
    if date.open_start or date.open_end:
        middle = x(date.anchor)
    else:
        middle = round((x(first) + x(after)) / 2, 1)
    return Shape(
        href=href,
        title=title,
        colour=lane.colour,
        x=middle,
        y=lane.y,
        r=4,
        status=mark.shown_status,
        whisker_left=x(first),
        whisker_right=x(after),
    )


def _periods(
    shape: TimelineShape, *, by_year: bool
) -> list[tuple[int, datetime.date, datetime.date, str, int]]:
    """(topic id, first day, last day, EDTF period, count) per month, or per year when the
    picture spans so many years that months would blur into one another."""
    counts: dict[tuple[int, str], int] = {}
    for bucket in shape.buckets:
        period = str(bucket.month.year) if by_year else bucket.month.strftime("%Y-%m")
        counts[(bucket.topic_id, period)] = counts.get((bucket.topic_id, period), 0) + bucket.count
    periods = []
    for (topic_id, period), count in counts.items():
        year = int(period[:4])
        if by_year:
            first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
        else:
            month = int(period[5:])
            first = datetime.date(year, month, 1)
            last = first.replace(day=calendar.monthrange(year, month)[1])
        periods.append((topic_id, first, last, period, count))
    return periods
