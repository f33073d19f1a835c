"""Geometry of the visual timeline: one lane per topic on a time axis, as plain numbers that
templates/timeline/_visual.html draws as SVG (so the template escapes every title).

Up to a few hundred developments each gets its own mark (a dot for a day, a bar for a
month, a season, a year or a range), linking to its page. Beyond that the marks would
blur into one another, so each topic shows one dot per month sized by its count,
linking to that month of the filtered timeline.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from timeline import dates
from timeline.models import Status, Topic
from timeline.selectors import TimelineShape

WIDTH = 960
LABEL_WIDTH = 200
RIGHT = 12
AXIS_HEIGHT = 22
LANE_HEIGHT = 20

PALETTE = (
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
    "#bcbd22", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd", "#636363",
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
    """One mark: a circle (r > 0) or a bar (width > 0)."""

    href: str
    title: str
    colour: str
    x: float
    y: float
    r: float = 0
    width: float = 0
    status: str = Status.TOOK_PLACE

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
    plot_left: int = LABEL_WIDTH
    label_x: int = LABEL_WIDTH - 8

    @property
    def year_y(self) -> int:
        return self.axis_y - 4


def picture(shape: TimelineShape, *, lang: str, params: dict[str, str]) -> Picture | None:
    """The laid-out picture, or None when there is nothing to draw."""
    if not shape.topics or shape.first is None or shape.last is None:
        return None
    start = datetime.date(shape.first.year, 1, 1)
    end = datetime.date(shape.last.year + 1, 1, 1)
    days = (end - start).days
    span = WIDTH - LABEL_WIDTH - RIGHT

    def x(day: datetime.date) -> float:
        return round(LABEL_WIDTH + (day - start).days / days * span, 1)

    lanes = {
        topic.pk: Lane(topic=topic, name=topic.name(lang), colour=topic_colour(topic),
                       y=AXIS_HEIGHT + LANE_HEIGHT * (i + 0.5))
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
        if right - left < 4:
            shapes.append(Shape(href=href, title=title, colour=lane.colour, x=left, y=lane.y,
                                r=4, status=mark.status))
        else:
            shapes.append(Shape(href=href, title=title, colour=lane.colour, x=left, y=lane.y,
                                width=round(right - left, 1), status=mark.status))
    biggest = max((b.count for b in shape.buckets), default=1)
    for bucket in shape.buckets:
        lane = lanes.get(bucket.topic_id)
        if lane is None:
            continue
        month_end = dates.parse(bucket.month.strftime("%Y-%m")).upper
        middle = bucket.month + (month_end - bucket.month) / 2
        month = bucket.month.strftime("%Y-%m")
        query = {**params, "topic": lane.topic.slug, "from": month, "to": month}
        title = ngettext("%(month)s — %(topic)s: %(count)d development",
                         "%(month)s — %(topic)s: %(count)d developments", bucket.count) % {
            "month": dates.display(month, lang), "topic": lane.name, "count": bucket.count}
        shapes.append(Shape(
            href=f"{reverse('timeline:timeline')}?{urlencode(query)}", title=title,
            colour=lane.colour, x=x(middle), y=lane.y,
            r=round(1.5 + 6.5 * math.sqrt(bucket.count / biggest), 1),
        ))
    years = list(range(start.year, end.year + 1))
    step = max(1, math.ceil(len(years) / 12))
    ticks = [Tick(x=x(datetime.date(y, 1, 1)), label=str(y) if i % step == 0 else "")
             for i, y in enumerate(years)]
    label = ngettext(
        "%(count)d development from %(first)s to %(last)s, by topic",
        "%(count)d developments from %(first)s to %(last)s, by topic", shape.total,
    ) % {"count": shape.total, "first": start.year, "last": end.year - 1}
    if shape.buckets:
        label += " " + _("(grouped by month)")
    return Picture(
        width=WIDTH, height=AXIS_HEIGHT + LANE_HEIGHT * len(lanes) + 4,
        lanes=list(lanes.values()), shapes=shapes, ticks=ticks, axis_y=AXIS_HEIGHT - 4,
        aggregated=bool(shape.buckets), total=shape.total, label=label,
    )
