"""Feeds and digests: the queries feeds/ makes (RSS/Atom, iCalendar, the weekly digest and
its subscribers' topics). feeds/ reads the timeline only through these and the rest of
timeline.selectors."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.utils import timezone

from timeline import dates, events
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
    """What a calendar of what is coming holds: developments not cancelled-before-now nor
    past — whose every day is `since` or later — and whose date is a day or a span of at
    most 31 days (dates.in_calendar). Soonest first. Cancelled and retracted ones stay so
    that calendars that had them see the cancellation."""
    qs = Development.objects.filter(date_upper__gte=since).order_by("date_lower", "id")
    return [d for d in qs if dates.in_calendar(d.date)]


def calendar_sequences(*, ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Each development's iCalendar SEQUENCE: how many of its events changed what a
    calendar shows (the registry's changes_calendar), as RFC 5545 asks."""
    sequences = dict.fromkeys(ids, 0)
    for event in Event.objects.filter(stream_id__in=ids).only(
        "stream_id", "type", "data", "schema_version"
    ):
        entry = events.get(event.type)
        if entry.changes_calendar(entry.upcast(event.schema_version, event.data)):
            sequences[event.stream_id] += 1
    return sequences


def dated_between(*, first: datetime.date, last: datetime.date) -> list[Development]:
    """Developments whose date bounds meet the days first..last and that still stand (not
    cancelled or retracted), earliest first, with their topics in order."""
    qs = (
        Development.objects.filter(date_lower__lte=last, date_upper__gte=first)
        .exclude(status__in=[Status.CANCELLED, Status.RETRACTED])
        .order_by("date_lower", "id")
    )
    return list(qs.prefetch_related(_topics_in_order()))


def scheduled_after(*, day: datetime.date) -> list[Development]:
    """Scheduled developments whose latest possible day is after `day` (nothing whose date
    has passed), soonest first."""
    qs = Development.objects.filter(status=Status.SCHEDULED, date_upper__gt=day).order_by(
        "date_lower", "id"
    )
    return list(qs.prefetch_related(_topics_in_order()))


def scheduled_between(*, first: datetime.date, last: datetime.date) -> list[Development]:
    """Scheduled developments whose dates meet the days first..last, soonest first (the
    digest's agenda). Never one whose every day has passed today: that one is awaiting
    confirmation, not coming."""
    today = timezone.localdate()
    qs = Development.objects.filter(
        status=Status.SCHEDULED, date_lower__lte=last, date_upper__gte=max(first, today)
    ).order_by("date_lower", "id")
    return list(qs.prefetch_related(_topics_in_order()))


@dataclass(frozen=True)
class News:
    """One event of the period that readers should hear of."""

    action: str  # the event type's action: recorded, corrected, ...
    note: str  # its public note or reason
    data: dict
    rank: int  # how much readers need to hear it, from the registry
    opens: bool = False  # the stream's first event: the development entered the record

    def label(self, lang: str) -> str:
        return events.by_action(self.action).label(lang)


@dataclass
class DevelopmentChange:
    """What happened to one development in a period, as readers are told it."""

    development: Development | None = None  # the read model as it is now
    news: list[News] = field(default_factory=list)  # in log order; silent fixes left out

    def has(self, action: str) -> bool:
        return any(n.action == action for n in self.news)

    @property
    def entered(self) -> bool:
        """True when the development entered the record in the period."""
        return any(n.opens for n in self.news)

    @property
    def headline(self) -> News:
        """The one thing readers most need to hear (the registry's news_rank)."""
        return max(self.news, key=lambda n: n.rank)


def changes_between(*, start: datetime.datetime, end: datetime.datetime) -> list[DevelopmentChange]:
    """The developments with events recorded in [start, end), in the log order of their
    first such event. What is not news (silent fixes) is left out, as the registry says."""
    changes: dict[uuid.UUID, DevelopmentChange] = {}
    period = Event.objects.filter(recorded_at__gte=start, recorded_at__lt=end)
    for event in period.order_by("position"):
        entry = events.get(event.type)
        data = entry.upcast(event.schema_version, event.data)
        change = changes.setdefault(event.stream_id, DevelopmentChange())
        if entry.is_news(data):
            change.news.append(
                News(entry.action, entry.note(data), data, entry.news_rank, event.version == 1)
            )
    found = Development.objects.filter(id__in=changes).prefetch_related(_topics_in_order())
    for development in found:
        changes[development.id].development = development
    return [c for c in changes.values() if c.development is not None and c.news]


def last_news(*, ids: list[uuid.UUID]) -> dict[uuid.UUID, News]:
    """Each development's latest public event (silent fixes aside), for a feed entry to say
    what changed."""
    found: dict[uuid.UUID, News] = {}
    for event in Event.objects.filter(stream_id__in=ids).order_by("-position").iterator():
        if event.stream_id in found:
            continue
        entry = events.get(event.type)
        data = entry.upcast(event.schema_version, event.data)
        if entry.is_news(data):
            found[event.stream_id] = News(entry.action, entry.note(data), data, entry.news_rank)
    return found
