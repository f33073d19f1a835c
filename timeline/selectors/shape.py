"""The shape of the timeline, for the visual timeline: a mark per development and topic, or
counts per topic and month when there are many; cached until the log moves."""

from __future__ import annotations

import datetime
import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count
from django.db.models.functions import TruncMonth

from timeline import dates
from timeline.models import DevelopmentTopic, Event, Topic, shown_status
from timeline.selectors.timeline import NO_FILTERS, TimelineFilters, developments_filtered


@dataclass(frozen=True)
class Mark:
    """One development in one topic's lane."""

    id: uuid.UUID
    topic_id: int
    title: str
    date: str
    lower: datetime.date
    upper: datetime.date
    status: str  # as stored

    @property
    def shown_status(self) -> str:
        return shown_status(self.status, self.upper)

    @property
    def meaning(self) -> str:
        return dates.meaning(self.date)

    @property
    def extent(self) -> tuple[datetime.date, datetime.date]:
        """The days the picture must show: a window's open end does not stretch the axis
        to 1900 or 2100."""
        date = dates.parse(self.date)
        if date.open_start or date.open_end:
            return date.anchor, date.anchor
        return date.lower, date.upper


@dataclass(frozen=True)
class Bucket:
    """How many developments one topic has in one month."""

    topic_id: int
    month: datetime.date
    count: int


@dataclass(frozen=True)
class TimelineShape:
    total: int
    topics: list[Topic]  # the lanes, in topic order
    marks: list[Mark]  # one per development and topic, when there are few
    buckets: list[Bucket]  # per topic and month, when there are many
    first: datetime.date | None
    last: datetime.date | None


def cache_key(name: str, *parts: Any) -> str:
    """A cache key that changes whenever an event is appended: the last position and its
    time (positions restart in a fresh database, times do not), and the database's name."""
    last = Event.objects.order_by("-position").values_list("position", "recorded_at").first()
    stamp = f"{last[0]}-{last[1].timestamp()}" if last else "0"
    db_name = settings.DATABASES["default"]["NAME"]
    wanted = ":".join(str(p) for p in (db_name, stamp, *parts))
    return f"{name}:{hashlib.sha256(wanted.encode()).hexdigest()}"


def _shape_uncached(filters: TimelineFilters, max_marks: int) -> dict[str, Any]:
    qs = developments_filtered(filters)
    total = qs.count()
    links = DevelopmentTopic.objects.filter(development__in=qs.values("pk"))
    if filters.topic:
        links = links.filter(topic=filters.topic)
    marks: list[Mark] = []
    buckets: list[Bucket] = []
    if total <= max_marks:
        rows = links.values_list(
            "development_id",
            "topic_id",
            "development__title",
            "development__date",
            "development__date_lower",
            "development__date_upper",
            "development__status",
        ).order_by("development__date_sort", "development_id")
        marks = [Mark(*row) for row in rows]
        spans = [m.extent for m in marks]
    else:
        monthly = (
            links.annotate(month=TruncMonth("development__date_sort"))
            .values_list("topic_id", "month")
            .annotate(n=Count("id"))
            .order_by("month")
        )
        buckets = [Bucket(topic_id=t, month=_as_date(m), count=n) for t, m, n in monthly]
        spans = [(b.month, b.month) for b in buckets]
    topic_ids = {m.topic_id for m in marks} | {b.topic_id for b in buckets}
    return {
        "total": total,
        "topic_ids": sorted(topic_ids),
        "marks": marks,
        "buckets": buckets,
        "first": min((s[0] for s in spans), default=None),
        "last": max((s[1] for s in spans), default=None),
    }


def _as_date(value: Any) -> datetime.date:
    return value.date() if isinstance(value, datetime.datetime) else value


def timeline_shape(*, filters: TimelineFilters = NO_FILTERS, max_marks: int = 300) -> TimelineShape:
    """Marks per development, or counts per topic and month when there are more than
    `max_marks`. Cached until the log moves: at a million developments the count and the
    aggregate take a second, and they only change when an event is appended."""
    key = cache_key("timeline-shape", max_marks, filters.key)
    data = cache.get(key)
    if data is None:
        data = _shape_uncached(filters, max_marks)
        cache.set(key, data, timeout=24 * 3600)
    topics = list(Topic.objects.filter(id__in=data["topic_ids"]))
    return TimelineShape(
        total=data["total"],
        topics=topics,
        marks=data["marks"],
        buckets=data["buckets"],
        first=data["first"],
        last=data["last"],
    )
