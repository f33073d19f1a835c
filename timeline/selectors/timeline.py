"""The timeline page: a reader's filters, checked; the developments they match, a page at a
time in date order (keyset pages); and those still to come."""

from __future__ import annotations

import base64
import binascii
import datetime
import uuid
from dataclasses import dataclass, replace
from typing import Any, Literal

from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import CharField, Exists, F, Func, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from timeline import dates, text, words
from timeline.models import (
    Actor,
    Development,
    DevelopmentActor,
    DevelopmentTopic,
    Kind,
    ShownStatus,
    Status,
    Topic,
)
from timeline.selectors import search

MAX_LIMIT = 200
QUERY_MAX = 200
FILTER_TEXT_MAX = 100


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
    text.refuse_unstorable(value, field)
    return value


def _period_end(value: str, field: str) -> dates.EdtfDate:
    """The one reader of a date filter (from, to): an EDTF date, or an ISO date-time whose
    day we keep. Anything we cannot store — 9999-12-31, 0001-01-01 — names the field."""
    try:
        return dates.parse(value)
    except dates.InvalidDate as exc:
        try:
            day = datetime.datetime.fromisoformat(value).date()
        except ValueError:
            raise ValidationError({field: str(exc)}) from None
        try:
            return dates.parse(day.isoformat())
        except dates.InvalidDate as again:
            raise ValidationError({field: str(again)}) from None


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
    raw = {
        "topic": topic,
        "actor": actor,
        "kind": kind,
        "status": status,
        "from": date_from,
        "to": date_to,
        "q": q,
    }
    for name, value in raw.items():
        try:
            values[name] = _filter_text(value, name, QUERY_MAX if name == "q" else FILTER_TEXT_MAX)
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
    for name, choices in (("kind", Kind), ("status", ShownStatus)):
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
        topic=found["topic"],
        actor=found["actor"],
        kind=values["kind"],
        status=values["status"],
        date_from=values["from"],
        date_to=values["to"],
        q=values["q"],
        lower=lower,
        upper=upper,
    )


def developments_filtered(filters: TimelineFilters = NO_FILTERS) -> QuerySet[Development]:
    """Developments matching the filters, unordered and without their links."""
    qs = Development.objects.all()
    if filters.topic:
        qs = qs.filter(
            Exists(DevelopmentTopic.objects.filter(development=OuterRef("pk"), topic=filters.topic))
        )
    if filters.actor:
        qs = qs.filter(
            Exists(DevelopmentActor.objects.filter(development=OuterRef("pk"), actor=filters.actor))
        )
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.status:
        qs = qs.filter(shown_status_q(filters.status))
    if filters.lower:
        qs = qs.filter(date_upper__gte=filters.lower)
    if filters.upper:
        qs = qs.filter(date_lower__lte=filters.upper)
    if filters.q:
        qs, _ = search.search_filter(qs, search.search_plan(filters.q), ranked=False)
    return qs


def shown_status_q(value: str, today: datetime.date | None = None) -> Q:
    """The condition for a ShownStatus: scheduled and awaiting confirmation split on today."""
    today = today or timezone.localdate()
    if value == ShownStatus.SCHEDULED:
        return Q(status=Status.SCHEDULED, date_upper__gte=today)
    if value == ShownStatus.AWAITING_CONFIRMATION:
        return Q(status=Status.SCHEDULED, date_upper__lt=today)
    return Q(status=value)


def awaiting_confirmation(*, today: datetime.date | None = None) -> QuerySet[Development]:
    """Scheduled developments whose every possible day has passed: editors must confirm,
    cancel or reschedule them. Oldest first."""
    qs = Development.objects.filter(shown_status_q(ShownStatus.AWAITING_CONFIRMATION, today))
    return qs.order_by("date_upper", "id")


def with_links(qs: QuerySet[Development]) -> QuerySet[Development]:
    """Prefetch the topics and the actors with their roles, in their order."""
    return qs.prefetch_related(
        "topics",
        Prefetch(
            "roles", queryset=DevelopmentActor.objects.select_related("actor").order_by("order")
        ),
    )


def with_link_lists(qs: QuerySet[Development]) -> QuerySet[Development]:
    """The topics' slugs and the actors' roles as lists, for readers that need only those
    (the API): on PostgreSQL as arrays in the developments' own query (one statement
    whatever the page size, no Topic or Actor instances); elsewhere (SQLite) with_links'
    prefetch. Read them with `link_lists`."""
    if connections[qs.db].vendor != "postgresql":
        return with_links(qs)
    # The orders with_links gives: Topic's (position, slug) and the roles' own.
    topics = DevelopmentTopic.objects.filter(development_id=OuterRef("id")).order_by(
        "topic__position", "topic__slug"
    )
    roles = DevelopmentActor.objects.filter(development_id=OuterRef("id")).order_by("order", "id")
    # One row [slug, name, role] per role: a two-dimensional array, one subquery.
    role_row = Func(
        F("actor__slug"),
        F("actor__name"),
        F("role"),
        function="ARRAY",
        template="%(function)s[%(expressions)s]",
        output_field=ArrayField(CharField()),
    )
    return qs.annotate(
        _topic_slugs=ArraySubquery(topics.values("topic__slug")),
        _roles=ArraySubquery(roles.values(row=role_row)),
    )


def link_lists(development: Development) -> tuple[list[str], list[dict[str, str]]]:
    """A development's topic slugs and its actors ({actor, name, role}), in order, fetched
    by with_link_lists or with_links."""
    d: Any = development
    if hasattr(d, "_topic_slugs"):
        return d._topic_slugs, [{"actor": a, "name": n, "role": r} for a, n, r in d._roles]
    return [t.slug for t in d.topics.all()], [
        {"actor": r.actor.slug, "name": r.actor.name, "role": r.role} for r in d.roles.all()
    ]


# --- the timeline, page by page ---------------------------------------------------------


@dataclass(frozen=True)
class TimelinePage:
    items: list[Development]
    next_cursor: str | None


_BAD_CURSOR = "This cursor is not one we gave out; start again without it."


def _encode_cursor(direction: str, development: Development) -> str:
    text = f"{direction}|{development.date_sort.isoformat()}|{development.id}"
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
    links: Literal["objects", "lists"] = "objects",
) -> TimelinePage:
    """One page of developments in (date_sort, id) order, after the cursor.

    Keyset pagination on the unique pair (date_sort, id), which the index
    development_sort_id serves: page 10,000 costs what page 1 costs. date_sort is the
    earliest day, or for a window known only by its end, that end. The links come as
    objects (with_links) or, for the API, as lists (with_link_lists: read them with
    link_lists).
    """
    limit = _check_limit(limit, MAX_LIMIT)
    direction = "d" if newest_first else "a"
    qs = developments_filtered(filters)
    if cursor:
        day, id_ = _decode_cursor(cursor, direction)
        if newest_first:
            qs = qs.filter(date_sort__lte=day).filter(Q(date_sort__lt=day) | Q(id__lt=id_))
        else:
            qs = qs.filter(date_sort__gte=day).filter(Q(date_sort__gt=day) | Q(id__gt=id_))
    order = ("-date_sort", "-id") if newest_first else ("date_sort", "id")
    fetch = with_link_lists if links == "lists" else with_links
    items = list(fetch(qs.order_by(*order))[: limit + 1])
    next_cursor = None
    if len(items) > limit:
        items = items[:limit]
        next_cursor = _encode_cursor(direction, items[-1])
    return TimelinePage(items=items, next_cursor=next_cursor)


def upcoming_list(
    *,
    filters: TimelineFilters = NO_FILTERS,
    today: datetime.date | None = None,
    limit: int = 10,
) -> list[Development]:
    """Scheduled developments that may still happen, soonest first. Those whose date is not
    a day or a short span (a month, a season, "vers…", a window) are there too; pages say
    "date to be specified" for them (dates.in_calendar), and upcoming.ics leaves them out."""
    qs = developments_filtered(filters).filter(
        shown_status_q(ShownStatus.SCHEDULED, today or timezone.localdate())
    )
    return list(with_links(qs.order_by("date_sort", "id"))[:limit])


# --- search results, best first ---------------------------------------------------------


@dataclass(frozen=True)
class SearchHit:
    development: Development
    snippet: list[words.Segment]
    rank: float


@dataclass(frozen=True)
class SearchResults:
    hits: list[SearchHit]
    approximate: bool  # found by the typo-tolerant fallback, not by the words as typed


def search_results(*, filters: TimelineFilters, limit: int = 50) -> SearchResults:
    """The developments a query finds (with the other filters), best first, each with a
    snippet of its text where the matching words are marked."""
    limit = _check_limit(limit, MAX_LIMIT)
    plan = search.search_plan(filters.q)
    qs, plan = search.search_filter(developments_filtered(replace(filters, q="")), plan)
    found = list(with_links(qs)[: MAX_LIMIT * 5])
    ranked = sorted(
        found, key=lambda d: (-search.rank(d, plan), -d.date_lower.toordinal(), str(d.id))
    )
    hits = [
        SearchHit(development=d, snippet=search.snippet(d, plan), rank=search.rank(d, plan))
        for d in ranked[:limit]
    ]
    return SearchResults(hits=hits, approximate=bool(plan.fuzzy))
