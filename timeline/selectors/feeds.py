"""Feeds and digests: the queries feeds/ makes (RSS/Atom, iCalendar, the weekly digest and
its subscribers' topics). feeds/ reads the timeline only through these and the rest of
timeline.selectors."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field

from django.db.models import Prefetch

from timeline import events
from timeline.models import Development, Event, Status, Topic


def _topics_in_order() -> Prefetch:
    return Prefetch("topics", queryset=Topic.objects.order_by("position", "slug"))


def feed_topics(*, slugs: list[str] | None = None) -> list[Topic]:
    """Every topic (or those with these slugs), in thread order."""
    qs = Topic.objects.order_by("position", "slug")
    if slugs is not None:
        qs = qs.filter(slug__in=slugs)
    return list(qs)


def feed_topic(*, slug: str) -> Topic | None:
    """The topic with this slug, or None."""
    return Topic.objects.filter(slug=slug).first()


def feed_developments(*, topic: Topic | None = None, limit: int = 50) -> list[Development]:
    """The developments changed most recently, newest first, with their topics in order."""
    qs = Development.objects.order_by("-updated_at", "-id")
    if topic is not None:
        qs = qs.filter(topics=topic)
    return list(qs.prefetch_related(_topics_in_order())[:limit])


def calendar_developments(*, since: datetime.date) -> list[Development]:
    """Developments whose dates reach `since` or later, soonest first (for iCalendar)."""
    qs = Development.objects.filter(date_upper__gte=since).order_by("date_lower", "id")
    return list(qs)


def scheduled_between(*, first: datetime.date, last: datetime.date) -> list[Development]:
    """Scheduled developments whose dates meet the days first..last, soonest first."""
    qs = Development.objects.filter(
        status=Status.SCHEDULED, date_lower__lte=last, date_upper__gte=first
    ).order_by("date_lower", "id")
    return list(qs.prefetch_related(_topics_in_order()))


@dataclass
class DevelopmentChange:
    """What happened to one development in a period, as readers are told it."""

    development: Development | None = None  # the read model as it is now
    recorded: bool = False  # first recorded in the period
    corrections: list[str] = field(default_factory=list)  # the public correction notes
    rescheduled_from: str = ""  # its date before the period's first rescheduling
    confirmed: bool = False
    cancelled: bool = False
    retracted: bool = False

    @property
    def is_news(self) -> bool:
        """False when the period held only silent fixes."""
        return bool(
            self.recorded
            or self.corrections
            or self.rescheduled_from
            or self.confirmed
            or self.cancelled
            or self.retracted
        )


def changes_between(*, start: datetime.datetime, end: datetime.datetime) -> list[DevelopmentChange]:
    """The developments with events recorded in [start, end), in the log order of their
    first such event. Silent corrections are left out: they are not news."""
    changes: dict[uuid.UUID, DevelopmentChange] = {}
    period = Event.objects.filter(recorded_at__gte=start, recorded_at__lt=end)
    for event in period.order_by("position"):
        data = events.payload(event)
        change = changes.setdefault(event.stream_id, DevelopmentChange())
        if event.type == events.RECORDED:
            change.recorded = True
        elif event.type == events.CORRECTED and not data.get("silent"):
            change.corrections.append(data.get("note", ""))
        elif event.type == events.RESCHEDULED and not change.rescheduled_from:
            change.rescheduled_from = data.get("previous_date", "")
        elif event.type == events.CONFIRMED:
            change.confirmed = True
        elif event.type == events.CANCELLED:
            change.cancelled = True
        elif event.type == events.RETRACTED:
            change.retracted = True
    found = Development.objects.filter(id__in=changes).prefetch_related(_topics_in_order())
    for development in found:
        changes[development.id].development = development
    return [c for c in changes.values() if c.development is not None and c.is_news]
