"""Read queries: the one read path for the pages, the API, the feeds and the digests.

Everything here reads the read models (Development and its links) or the log; nothing
writes. Bad input from a reader (an unknown topic, a reversed period, a forged cursor)
raises django.core.exceptions.ValidationError naming the field, as the commands do.
"""

from __future__ import annotations

import base64
import binascii
import copy
import datetime
import hashlib
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from timeline import dates, events
from timeline.commands import DevelopmentNotFound
from timeline.models import (
    Actor,
    Development,
    DevelopmentActor,
    DevelopmentTopic,
    Event,
    Kind,
    Stage,
    Status,
    Topic,
)

MAX_LIMIT = 200
MAX_EVENTS_LIMIT = 1000
MAX_POSITION = 2**63 - 1  # a bigint: anything larger is no position at all
QUERY_MAX = 200
FILTER_TEXT_MAX = 100
_SLUG = re.compile(r"^[-a-zA-Z0-9_]{1,64}$")


class TopicNotFound(Exception):
    def __init__(self, slug: str):
        super().__init__(f"No topic {slug!r}.")
        self.slug = slug


# --- filters ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineFilters:
    """What a reader asked for; build it with `timeline_filters`, which validates."""

    topic: Topic | None = None
    actor: Actor | None = None
    kind: str = ""
    status: str = ""
    date_from: str = ""  # as the reader wrote it (EDTF or ISO)
    date_to: str = ""
    q: str = ""
    lower: datetime.date | None = None  # developments that end on or after this day
    upper: datetime.date | None = None  # … and start on or before this one

    def as_params(self) -> dict[str, str]:
        """The filters as query-string parameters, for links to the next page."""
        params = {
            "topic": self.topic.slug if self.topic else "",
            "actor": self.actor.slug if self.actor else "",
            "kind": self.kind,
            "status": self.status,
            "from": self.date_from,
            "to": self.date_to,
            "q": self.q,
        }
        return {k: v for k, v in params.items() if v}

    @property
    def key(self) -> str:
        """A stable text for cache keys."""
        return "&".join(f"{k}={v}" for k, v in sorted(self.as_params().items()))


NO_FILTERS = TimelineFilters()


def _filter_text(value: Any, field: str, max_length: int = FILTER_TEXT_MAX) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError({field: "Must be text."})
    value = value.strip()
    if len(value) > max_length:
        raise ValidationError({field: f"At most {max_length} characters."})
    # PostgreSQL refuses NUL in a string; other control characters are never meant.
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValidationError({field: "Control characters are not allowed."})
    return value


def _period_end(value: str, field: str) -> dates.EdtfDate:
    """An EDTF date, or an ISO date-time whose day we keep."""
    try:
        return dates.parse(value)
    except dates.InvalidDate as exc:
        try:
            day = datetime.datetime.fromisoformat(value).date()
        except ValueError:
            raise ValidationError({field: str(exc)}) from None
        return dates.parse(day.isoformat())


def timeline_filters(
    *,
    topic: Any = "",
    actor: Any = "",
    kind: Any = "",
    status: Any = "",
    date_from: Any = "",
    date_to: Any = "",
    q: Any = "",
) -> TimelineFilters:
    """Validate a reader's filters; every field at fault is named in one ValidationError."""
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    raw = {"topic": topic, "actor": actor, "kind": kind, "status": status,
           "from": date_from, "to": date_to, "q": q}
    for name, value in raw.items():
        try:
            values[name] = _filter_text(value, name, QUERY_MAX if name == "q" else
                                        FILTER_TEXT_MAX)
        except ValidationError as exc:
            errors.setdefault(name, []).extend(exc.message_dict[name])
            values[name] = ""

    found: dict[str, Any] = {"topic": None, "actor": None}
    if values["topic"]:
        found["topic"] = Topic.objects.filter(slug=values["topic"]).first()
        if found["topic"] is None:
            errors.setdefault("topic", []).append(f"Unknown topic: {values['topic']}.")
    if values["actor"]:
        found["actor"] = Actor.objects.filter(slug=values["actor"]).first()
        if found["actor"] is None:
            errors.setdefault("actor", []).append(f"Unknown actor: {values['actor']}.")
    for name, choices in (("kind", Kind), ("status", Status)):
        if values[name] and values[name] not in choices.values:
            allowed = ", ".join(choices.values)
            errors.setdefault(name, []).append(
                f"Unknown value {values[name]!r}; expected one of: {allowed}."
            )

    lower = upper = None
    start = end = None
    for name in ("from", "to"):
        if values[name] and name not in errors:
            try:
                parsed = _period_end(values[name], name)
            except ValidationError as exc:
                errors.setdefault(name, []).extend(exc.message_dict[name])
                continue
            if name == "from":
                start, lower = parsed, parsed.lower
            else:
                end, upper = parsed, parsed.upper
    if start and end and start.lower > end.upper:
        errors.setdefault("to", []).append(
            f"The period ends ({values['to']}) before it starts ({values['from']})."
        )
    if errors:
        raise ValidationError(errors)
    return TimelineFilters(
        topic=found["topic"], actor=found["actor"], kind=values["kind"],
        status=values["status"], date_from=values["from"], date_to=values["to"],
        q=values["q"], lower=lower, upper=upper,
    )


def _search(qs: QuerySet[Development], q: str) -> QuerySet[Development]:
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchVector

        # The same expression as the GIN index of migration 0005, so the index serves it.
        vector = SearchVector("search_text", config="french")
        query = SearchQuery(q, config="french", search_type="websearch")
        return qs.annotate(search=vector).filter(search=query)
    for word in q.split():
        qs = qs.filter(search_text__icontains=word)
    return qs


def developments_filtered(filters: TimelineFilters = NO_FILTERS) -> QuerySet[Development]:
    """Developments matching the filters, unordered and without their links."""
    qs = Development.objects.all()
    if filters.topic:
        qs = qs.filter(Exists(DevelopmentTopic.objects.filter(
            development=OuterRef("pk"), topic=filters.topic)))
    if filters.actor:
        qs = qs.filter(Exists(DevelopmentActor.objects.filter(
            development=OuterRef("pk"), actor=filters.actor)))
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.lower:
        qs = qs.filter(date_upper__gte=filters.lower)
    if filters.upper:
        qs = qs.filter(date_lower__lte=filters.upper)
    if filters.q:
        qs = _search(qs, filters.q)
    return qs


def with_links(qs: QuerySet[Development]) -> QuerySet[Development]:
    """Prefetch the topics and the actors with their roles, in their order."""
    return qs.prefetch_related(
        "topics",
        Prefetch("roles", queryset=DevelopmentActor.objects.select_related("actor")
                 .order_by("order")),
    )


# --- the timeline, page by page ---------------------------------------------------------


@dataclass(frozen=True)
class TimelinePage:
    items: list[Development]
    next_cursor: str | None


_BAD_CURSOR = "This cursor is not one we gave out; start again without it."


def _encode_cursor(direction: str, development: Development) -> str:
    text = f"{direction}|{development.date_lower.isoformat()}|{development.id}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, direction: str) -> tuple[datetime.date, uuid.UUID]:
    try:
        if not isinstance(cursor, str) or len(cursor) > 200:
            raise ValueError
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        marker, day, id_ = text.split("|")
        if marker != direction:
            raise ValueError
        return datetime.date.fromisoformat(day), uuid.UUID(id_)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValidationError({"cursor": _BAD_CURSOR}) from None


def _check_limit(limit: Any, maximum: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= maximum:
        raise ValidationError({"limit": f"Must be a whole number from 1 to {maximum}."})
    return limit


def timeline_page(
    *,
    filters: TimelineFilters = NO_FILTERS,
    cursor: str | None = None,
    limit: int = 50,
    newest_first: bool = False,
) -> TimelinePage:
    """One page of developments in (date_lower, id) order, after the cursor.

    Keyset pagination on the unique pair (date_lower, id), which the index
    development_date_id serves: page 10,000 costs what page 1 costs.
    """
    limit = _check_limit(limit, MAX_LIMIT)
    direction = "d" if newest_first else "a"
    qs = developments_filtered(filters)
    if cursor:
        day, id_ = _decode_cursor(cursor, direction)
        if newest_first:
            qs = qs.filter(date_lower__lte=day).filter(
                Q(date_lower__lt=day) | Q(id__lt=id_))
        else:
            qs = qs.filter(date_lower__gte=day).filter(
                Q(date_lower__gt=day) | Q(id__gt=id_))
    order = ("-date_lower", "-id") if newest_first else ("date_lower", "id")
    items = list(with_links(qs.order_by(*order))[: limit + 1])
    next_cursor = None
    if len(items) > limit:
        items = items[:limit]
        next_cursor = _encode_cursor(direction, items[-1])
    return TimelinePage(items=items, next_cursor=next_cursor)


def upcoming_list(
    *, filters: TimelineFilters = NO_FILTERS, today: datetime.date | None = None,
    limit: int = 10,
) -> list[Development]:
    """Scheduled developments that may still happen, soonest first."""
    today = today or timezone.localdate()
    qs = developments_filtered(filters).filter(status=Status.SCHEDULED, date_upper__gte=today)
    return list(with_links(qs.order_by("date_lower", "id"))[:limit])


# --- one development and its history ----------------------------------------------------


def development_get(*, id: uuid.UUID | str) -> Development:
    """The development with its topics and actors; DevelopmentNotFound if there is none."""
    try:
        return with_links(Development.objects.all()).get(pk=id)
    except (Development.DoesNotExist, ValidationError, ValueError):
        raise DevelopmentNotFound(id) from None


def _exists(id: uuid.UUID | str) -> bool:
    try:
        return Development.objects.filter(pk=id).exists()
    except (ValidationError, ValueError):
        return False


@dataclass(frozen=True)
class Change:
    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class HistoryEntry:
    """One event of a development's stream, as readers see it."""

    position: int
    version: int
    type: str
    action: str  # recorded, corrected, rescheduled, confirmed, cancelled, retracted
    recorded_at: datetime.datetime
    by: str
    via: str
    note: str = ""
    reason: str = ""
    silent: bool = False
    changes: list[Change] = field(default_factory=list)


_ACTIONS = {
    events.RECORDED: "recorded",
    events.CORRECTED: "corrected",
    events.RESCHEDULED: "rescheduled",
    events.CONFIRMED: "confirmed",
    events.CANCELLED: "cancelled",
    events.RETRACTED: "retracted",
}
_COMPARED = ("title", "summary", "kind", "date", "date_note", "place", "stage", "topics",
             "actors", "sources", "status")


def development_history(*, id: uuid.UUID | str, public: bool = True) -> list[HistoryEntry]:
    """The development's events in order, each upcast, with what it changed.

    The stream is replayed through the projection handlers to know each field's value
    before an event. Silent fixes (typos) are left out of the public history.
    """
    from timeline.projections import evolve  # projections import events, which we use

    if not _exists(id):
        raise DevelopmentNotFound(id)
    entries: list[HistoryEntry] = []
    state: dict[str, Any] | None = None
    for event in Event.objects.filter(stream_id=id).order_by("version"):
        data = events.payload(event)
        before = copy.deepcopy(state) if state is not None else None
        state = evolve(copy.deepcopy(state), event)
        changes = []
        if before is not None:
            changes = [Change(name, before.get(name), state.get(name))
                       for name in _COMPARED if before.get(name) != state.get(name)]
        if public and data.get("silent"):
            continue
        entries.append(HistoryEntry(
            position=event.position,
            version=event.version,
            type=event.type,
            action=_ACTIONS[event.type],
            recorded_at=event.recorded_at,
            by=str(event.metadata.get("by", "")),
            via=str(event.metadata.get("via", "")),
            note=data.get("note", ""),
            reason=data.get("reason", ""),
            silent=bool(data.get("silent")),
            changes=changes,
        ))
    return entries


# --- topics -----------------------------------------------------------------------------


def _topics() -> QuerySet[Topic]:
    return Topic.objects.prefetch_related("stages").annotate(
        development_count=Count("developments",
                                filter=~Q(developments__status=Status.RETRACTED))
    )


def topic_list() -> list[Topic]:
    """Every topic, in order, with its stages and `development_count` (retractions aside)."""
    return list(_topics())


@dataclass(frozen=True)
class StageProgress:
    """One stage of an agreement topic: reached (with its first development) or ahead."""

    stage: str
    label: str
    reached: Development | None  # the first development that took place at this stage
    count: int  # how many took place at this stage (negotiation rounds are many)
    scheduled: Development | None  # the next scheduled one, for a stage still ahead


@dataclass(frozen=True)
class TopicThread:
    topic: Topic
    stages: list[StageProgress]

    @property
    def reached(self) -> list[StageProgress]:
        return [s for s in self.stages if s.reached]

    @property
    def ahead(self) -> list[StageProgress]:
        return [s for s in self.stages if not s.reached]


def topic_get(*, slug: str) -> TopicThread:
    """The topic with its stages reached (by a development that took place) and ahead."""
    topic = None
    if isinstance(slug, str) and _SLUG.match(slug):
        topic = _topics().filter(slug=slug).first()
    if topic is None:
        raise TopicNotFound(slug)
    listed = [s.stage for s in topic.stages.all()]
    staged = (
        Development.objects.filter(topics=topic)
        .exclude(stage="")
        .filter(status__in=[Status.TOOK_PLACE, Status.SCHEDULED])
        .order_by("date_lower", "id")
    )
    took_place: dict[str, list[Development]] = {}
    scheduled: dict[str, Development] = {}
    for development in staged:
        if development.status == Status.TOOK_PLACE:
            took_place.setdefault(development.stage, []).append(development)
        elif development.date_upper >= timezone.localdate():
            scheduled.setdefault(development.stage, development)
    # A stage reached but not listed for the topic still shows, in the usual stage order.
    extra = [s for s in Stage.values if s in took_place and s not in listed]
    labels = dict(Stage.choices)
    stages = [
        StageProgress(
            stage=stage,
            label=str(labels[stage]),
            reached=took_place[stage][0] if stage in took_place else None,
            count=len(took_place.get(stage, [])),
            scheduled=None if stage in took_place else scheduled.get(stage),
        )
        for stage in listed + extra
    ]
    return TopicThread(topic=topic, stages=stages)


# --- the log, for replication -----------------------------------------------------------


def events_after(*, position: int, limit: int = 100) -> list[Event]:
    """Up to `limit` events after `position`, in log order (the stored, not upcast, data).

    Appends are serialized (events.lock_log), so a reader that resumes after the last
    position it saw never misses one.
    """
    if isinstance(position, bool) or not isinstance(position, int) or not (
        0 <= position <= MAX_POSITION
    ):
        raise ValidationError({"after": "Must be a log position: a whole number, 0 or more."})
    limit = _check_limit(limit, MAX_EVENTS_LIMIT)
    return list(Event.objects.filter(position__gt=position).order_by("position")[:limit])


def latest_position() -> int:
    """The position of the last event in the log, 0 when it is empty."""
    last = Event.objects.order_by("-position").values_list("position", flat=True).first()
    return last or 0


def latest_change() -> datetime.datetime | None:
    """When the last event was recorded: the Last-Modified of anything read from the log."""
    return Event.objects.order_by("-position").values_list("recorded_at", flat=True).first()


# --- the shape of the timeline (for the visual timeline) --------------------------------


@dataclass(frozen=True)
class Mark:
    """One development in one topic's lane."""

    id: uuid.UUID
    topic_id: int
    title: str
    date: str
    lower: datetime.date
    upper: datetime.date
    status: str


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
            "development_id", "topic_id", "development__title", "development__date",
            "development__date_lower", "development__date_upper", "development__status",
        ).order_by("development__date_lower", "development_id")
        marks = [Mark(*row) for row in rows]
        spans = [(m.lower, m.upper) for m in marks]
    else:
        rows = (
            links.annotate(month=TruncMonth("development__date_lower"))
            .values_list("topic_id", "month").annotate(n=Count("id")).order_by("month")
        )
        buckets = [Bucket(topic_id=t, month=_as_date(m), count=n) for t, m, n in rows]
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


def timeline_shape(*, filters: TimelineFilters = NO_FILTERS, max_marks: int = 300
                   ) -> TimelineShape:
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
        total=data["total"], topics=topics, marks=data["marks"], buckets=data["buckets"],
        first=data["first"], last=data["last"],
    )


# --- feeds and digests ------------------------------------------------------------------
# The queries feeds/ makes (RSS/Atom, iCalendar, the weekly digest and its subscribers'
# topics); feeds/ reads the timeline only through these and the functions above.


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
        return bool(self.recorded or self.corrections or self.rescheduled_from or self.confirmed
                    or self.cancelled or self.retracted)


def changes_between(
    *, start: datetime.datetime, end: datetime.datetime
) -> list[DevelopmentChange]:
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
