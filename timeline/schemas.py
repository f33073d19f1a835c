"""The API's shapes (ninja schemas) and the functions that fill them from the read models."""

from __future__ import annotations

import datetime
import functools
import uuid
from collections.abc import Callable
from typing import Annotated, Any, Literal

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Schema
from pydantic import ConfigDict

from timeline import dates, events, selectors
from timeline.models import Development, Event, Kind, ShownStatus, Stage, Status, Topic

# --- the rules the server enforces, stated in the OpenAPI document ----------------------
# timeline/text.py refuses control characters (C0 and C1), U+FFFE and U+FFFF in every
# stored or filtered string; these patterns say the same to clients (and to schemathesis).
ONE_LINE = r"^[^\u0000-\u001f\u007f-\u009f\ufffe\uffff]*$"
MULTI_LINE = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ufffe\uffff]*$"
SLUG = r"^[-a-zA-Z0-9_]+$"
KINDS = tuple(Kind.values)
STATUSES = tuple(Status.values)
SHOWN_STATUSES = tuple(ShownStatus.values)  # what readers see and filter by
STAGES = tuple(Stage.values)


def _enum(values: tuple[str, ...], *, blank: bool) -> dict[str, Any]:
    return {"enum": [*([""] if blank else []), *values]}


# --- query parameters -------------------------------------------------------------------


class TimelineQuery(Schema):
    topic: str = Field("", description="A topic slug.", max_length=64, pattern=r"^[-a-zA-Z0-9_]*$")
    actor: str = Field(
        "", description="An actor slug.", max_length=100, pattern=r"^[-a-zA-Z0-9_]*$"
    )
    kind: str = Field("", json_schema_extra=_enum(KINDS, blank=True))
    status: str = Field(
        "",
        description="scheduled (still to come), awaiting_confirmation (its date has passed "
        "and no editor has confirmed, cancelled or rescheduled it yet), took_place, "
        "cancelled or retracted.",
        json_schema_extra=_enum(SHOWN_STATUSES, blank=True),
    )
    date_from: str = Field(
        "",
        alias="from",
        max_length=100,
        pattern=ONE_LINE,
        description="Developments that end on or after "
        "this date (EDTF or ISO, e.g. 2022, 2023-05, 2023-05-16).",
    )
    to: str = Field(
        "", max_length=100, pattern=ONE_LINE, description="… and start on or before this date."
    )
    q: str = Field(
        "",
        max_length=200,
        pattern=ONE_LINE,
        description="Words to search (French stemming); no control characters.",
    )


class TimelinePageQuery(TimelineQuery):
    cursor: str = Field("", description="The next_cursor of the previous page.", max_length=200)
    limit: int = Field(50, ge=1, le=200, description="From 1 to 200.")


class TimelineJSQuery(TimelineQuery):
    lang: Literal["fr", "en"] = "fr"
    limit: int = Field(
        1000, ge=1, le=2000, description="The most recent developments, from 1 to 2000."
    )


# --- developments -----------------------------------------------------------------------


class DateDisplay(Schema):
    fr: str
    en: str


class ActorRoleOut(Schema):
    actor: str = Field(description="The actor's slug.")
    name: str
    role: str


class SourceOut(Schema):
    publication: str
    title: str
    author: str
    date: str = Field(description="EDTF, or empty.")
    url: str
    quote: str


class DevelopmentOut(Schema):
    id: uuid.UUID
    version: int = Field(description="Send it back in If-Match to change the development.")
    url: str = Field(description="The development's page.")
    title: str
    summary: str
    kind: str
    date: str = Field(
        description="As written, in EDTF: 2025-03-27, 2022-10, 2022-23, 2025-12~ (a point), "
        "2023-05-16/2023-05-20 (a span), [2023-05-16..2023-05-20], [..2025-11-24], "
        "[2025-11..] (a window) …"
    )
    date_meaning: Literal["point", "span", "window"] = Field(
        description="point: one moment at the date's precision; span: it lasted from "
        "date_lower to date_upper; window: one moment somewhere between date_lower and "
        "date_upper, the day unknown (an open end reaches 1900-01-01 or 2100-12-31)."
    )
    date_lower: datetime.date = Field(description="The earliest day the date can mean.")
    date_upper: datetime.date = Field(description="The latest day the date can mean.")
    date_display: DateDisplay
    date_note: str
    in_calendar: bool = Field(
        description="True when the date is one exact day or a span of at most 31 days, as "
        "/feeds/upcoming.ics holds it; false for a date still to be specified (a month, a "
        "season, 'about', a window)."
    )
    status: Literal[
        "scheduled", "awaiting_confirmation", "took_place", "cancelled", "retracted"
    ] = Field(
        description="As of today (Europe/Brussels): a scheduled development whose latest "
        "possible day has passed is awaiting_confirmation until an editor confirms, "
        "cancels or reschedules it."
    )
    status_reason: str
    place: str
    stage: str
    topics: list[str] = Field(description="Topic slugs.")
    actors: list[ActorRoleOut]
    sources: list[SourceOut]
    corrections: int = Field(description="How many public corrections it had.")
    reschedulings: int
    first_recorded_at: datetime.datetime
    updated_at: datetime.datetime


class TimelineOut(Schema):
    items: list[DevelopmentOut]
    next_cursor: str | None = Field(
        description="Pass it as `cursor` for the next page; null on the last page."
    )
    next: str | None = Field(description="The next page's URL, or null.")


class ChangeOut(Schema):
    field: str
    before: Any = None
    after: Any = None


class HistoryEntryOut(Schema):
    position: int
    version: int
    type: str
    action: str = Field(
        description="What the event did: "
        + ", ".join(e.action for e in events.REGISTRY.values())
        + "."
    )
    label: str = Field(description="The same in words, in the request's language.")
    recorded_at: datetime.datetime
    by: str
    via: str
    note: str = Field(description="The public note of a correction or rescheduling.")
    reason: str = Field(description="The public reason of a cancellation or retraction.")
    changes: list[ChangeOut]


def _rules(**rules: Any) -> dict[str, Any]:
    """Rules stated in the OpenAPI document only (a field's json_schema_extra): the commands
    enforce them (one validation path, whose errors name the field as editors know it)."""
    return rules


def _line(max_length: int, **kwargs: Any) -> Any:
    return Field(**kwargs, json_schema_extra=_rules(maxLength=max_length, pattern=ONE_LINE))


class ActorRoleIn(Schema):
    model_config = ConfigDict(extra="forbid")
    actor: str = Field(
        description="An actor's slug.",
        json_schema_extra=_rules(minLength=1, maxLength=100, pattern=SLUG),
    )
    role: str = _line(200, default="")


class SourceIn(Schema):
    model_config = ConfigDict(extra="forbid")
    publication: str = _line(200, default="")
    title: str = _line(300, default="")
    author: str = _line(200, default="")
    date: str = _line(100, default="", description="EDTF, or empty.")
    url: str = _line(500, default="", description="An http(s) URL, or empty.")
    quote: str = Field("", json_schema_extra=_rules(maxLength=5000, pattern=MULTI_LINE))


class DevelopmentIn(Schema):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(json_schema_extra=_rules(minLength=1, maxLength=200, pattern=ONE_LINE))
    summary: str = Field("", json_schema_extra=_rules(maxLength=5000, pattern=MULTI_LINE))
    kind: str = Field(json_schema_extra=_enum(KINDS, blank=False))
    date: str = Field(
        description="EDTF: 2025-03-27, 2022-10, 2015, 2022-23, 2025-12~, 2023-05-16/2023-05-20.",
        json_schema_extra=_rules(minLength=1, maxLength=100, pattern=ONE_LINE),
    )
    date_note: str = _line(500, default="")
    status: Literal["scheduled", "took_place"] = "took_place"
    place: str = _line(200, default="")
    stage: str = Field("", json_schema_extra=_enum(STAGES, blank=True))
    topics: list[
        Annotated[str, Field(json_schema_extra=_rules(minLength=1, maxLength=64, pattern=SLUG))]
    ] = Field(
        description="Topic slugs (at least one, at most 8).",
        json_schema_extra=_rules(minItems=1, maxItems=8),
    )
    actors: list[ActorRoleIn] = Field(default=[], json_schema_extra=_rules(maxItems=30))
    sources: list[SourceIn] = Field(default=[], json_schema_extra=_rules(maxItems=10))


class DevelopmentPatch(Schema):
    """A change to a development. `action` says which: a correction (the default) changes
    fields and needs a public `note` unless `silent`; reschedule needs `date`; confirm may
    give a more precise `date`; cancel and retract need a `reason`."""

    model_config = ConfigDict(extra="forbid")
    action: Literal["correct", "reschedule", "confirm", "cancel", "retract"] = "correct"
    title: str | None = None
    summary: str | None = None
    kind: str | None = None
    date: str | None = None
    date_note: str | None = None
    place: str | None = None
    stage: str | None = None
    topics: list[str] | None = None
    actors: list[ActorRoleIn] | None = None
    sources: list[SourceIn] | None = None
    note: str | None = Field(
        None, description="The public note of a correction, rescheduling or confirmation."
    )
    silent: bool | None = Field(None, description="A silent fix (a typo): no public note.")
    reason: str | None = Field(None, description="Why it was cancelled or retracted.")


# --- topics -----------------------------------------------------------------------------


class TopicOut(Schema):
    slug: str
    name_fr: str
    name_en: str
    description_fr: str
    description_en: str
    url: str
    stages: list[str] = Field(description="For an agreement: its stages, in order.")
    developments: int = Field(description="How many developments (retractions aside).")


class StageOut(Schema):
    stage: str
    label: str
    status: str = Field(
        description=(
            "reached (a development took place at this stage), scheduled (one is planned) "
            "or not_recorded (no development of the topic records it: neither passed nor ahead)."
        )
    )
    reached: bool = Field(description="True when a development took place at this stage.")
    date: str | None = Field(
        description="When it was first reached (EDTF); null when no development records it."
    )
    date_display: DateDisplay | None
    development: uuid.UUID | None
    count: int = Field(description="How many developments took place at this stage.")
    scheduled_date: str | None = Field(description="For a stage ahead: when it is planned.")
    scheduled_development: uuid.UUID | None


class TopicDetailOut(TopicOut):
    stages_reached: list[StageOut]
    stages_ahead: list[StageOut] = Field(description="Stages a scheduled development plans.")
    stages_not_recorded: list[StageOut] = Field(
        description="Stages no development of the topic records: the sources say nothing."
    )


# --- the event stream -------------------------------------------------------------------


class EventMetadataOut(Schema):
    by: str
    via: str


class EventOut(Schema):
    position: int
    stream_id: uuid.UUID
    version: int
    type: str = Field(description="One of: " + ", ".join(events.REGISTRY) + ".")
    schema_version: int
    data: dict[str, Any] = Field(description="As stored, in its schema_version.")
    metadata: EventMetadataOut
    recorded_at: datetime.datetime


class EventsOut(Schema):
    items: list[EventOut]
    last_position: int = Field(description="Pass it as `after` next time.")
    latest_position: int = Field(description="The log's last position now.")


# --- TimelineJS -------------------------------------------------------------------------


class TLDate(Schema):
    year: int
    month: int | None = None
    day: int | None = None


class TLText(Schema):
    headline: str = Field(description="HTML: editors' text is escaped.")
    text: str = ""


class TLEvent(Schema):
    start_date: TLDate
    end_date: TLDate | None = None
    display_date: str
    text: TLText
    group: str | None = None
    unique_id: str


class TLTimeline(Schema):
    title: dict[str, TLText]
    events: list[TLEvent]


# --- filling them -----------------------------------------------------------------------


def absolute(path: str) -> str:
    """The public address of a path, on SITE_URL whatever host the request came in by."""
    return f"{settings.SITE_URL}{path}"


def _absolute(request: HttpRequest, path: str) -> str:
    return absolute(path)


def date_display(text: str) -> dict[str, str]:
    return {"fr": dates.display(text, "fr"), "en": dates.display(text, "en")}


@functools.lru_cache(maxsize=16384)
def _date_facts(text: str) -> tuple[str, dict[str, str], bool]:
    """A stored date's meaning, display and in_calendar: they depend on its text alone, and
    a page shows the same dates again and again. Callers must not change the dict."""
    return dates.meaning(text), date_display(text), dates.in_calendar(text)


_ANY_ID = uuid.UUID(int=0)


def development_urls() -> Callable[[uuid.UUID], str]:
    """The public address of a development's page by its id: one URL reversal per call,
    not per development (a page of the API has up to 200)."""
    prefix, suffix = absolute(reverse("timeline:development", args=[_ANY_ID])).split(str(_ANY_ID))
    return lambda id: f"{prefix}{id}{suffix}"


def development_out(
    request: HttpRequest,
    development: Development,
    *,
    url: Callable[[uuid.UUID], str] | None = None,
) -> dict[str, Any]:
    """A development (fetched with selectors.with_links or with_link_lists) as
    DevelopmentOut; `url` (development_urls()) saves reversing its URL."""
    d = development
    meaning, display, in_calendar = _date_facts(d.date)
    topics, actors = selectors.link_lists(d)
    return {
        "id": d.id,
        "version": d.version,
        "url": url(d.id) if url else _absolute(request, d.get_absolute_url()),
        "title": d.title,
        "summary": d.summary,
        "kind": d.kind,
        "date": d.date,
        "date_meaning": meaning,
        "date_lower": d.date_lower,
        "date_upper": d.date_upper,
        "date_display": display,
        "date_note": d.date_note,
        "in_calendar": in_calendar,
        "status": d.shown_status,
        "status_reason": d.status_reason,
        "place": d.place,
        "stage": d.stage,
        "topics": topics,
        "actors": actors,
        "sources": [
            {
                k: str(s.get(k, ""))
                for k in ("publication", "title", "author", "date", "url", "quote")
            }
            for s in d.sources
        ],
        "corrections": d.corrections,
        "reschedulings": d.reschedulings,
        "first_recorded_at": d.first_recorded_at,
        "updated_at": d.updated_at,
    }


def history_out(entry: selectors.HistoryEntry, lang: str) -> dict[str, Any]:
    return {
        "position": entry.position,
        "version": entry.version,
        "type": entry.type,
        "action": entry.action,
        "recorded_at": entry.recorded_at,
        "by": entry.by,
        "via": entry.via,
        "label": entry.label(lang),
        "note": entry.note,
        "reason": entry.reason,
        "changes": [
            {"field": c.field, "before": c.before, "after": c.after} for c in entry.changes
        ],
    }


def topic_out(request: HttpRequest, topic: Topic) -> dict[str, Any]:
    return {
        "slug": topic.slug,
        "name_fr": topic.name_fr,
        "name_en": topic.name_en,
        "description_fr": topic.description_fr,
        "description_en": topic.description_en,
        "url": _absolute(request, reverse("timeline:topic", args=[topic.slug])),
        "stages": [s.stage for s in topic.stages.all()],
        "developments": getattr(topic, "development_count", 0),
    }


def stage_out(progress: selectors.StageProgress) -> dict[str, Any]:
    reached, scheduled = progress.reached, progress.scheduled
    return {
        "stage": progress.stage,
        "label": progress.label,
        "status": progress.status,
        "reached": reached is not None,
        "date": reached.date if reached else None,
        "date_display": date_display(reached.date) if reached else None,
        "development": reached.id if reached else None,
        "count": progress.count,
        "scheduled_date": scheduled.date if scheduled else None,
        "scheduled_development": scheduled.id if scheduled else None,
    }


def event_out(event: Event) -> dict[str, Any]:
    return {
        "position": event.position,
        "stream_id": event.stream_id,
        "version": event.version,
        "type": event.type,
        "schema_version": event.schema_version,
        "data": event.data,
        # Only who and through what: request ids and idempotency keys stay private.
        "metadata": {
            "by": selectors.public_role(event.metadata),
            "via": str(event.metadata.get("via", "")),
        },
        "recorded_at": event.recorded_at,
    }


# --- the editors' desk -------------------------------------------------------------------

PROPOSAL_TEXT_MAX = 200_000


class ProposalsIn(Schema):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(description="The source text (an article, interview or report).")
    published: datetime.date = Field(
        description="Its publication date: relative dates are resolved against it."
    )
    publication: str = ""
    lang: Literal["fr", "en"] = "fr"


class ProposedActorOut(Schema):
    actor: str | None = Field(description="The known actor's slug, or null for a new one.")
    name: str
    role: str
    new: bool = Field(description="True for a person or institution not yet known.")


class ProposalOut(Schema):
    title: str
    summary: str
    date: str = Field(description="EDTF: a point, a span a/b or a window [a..b], [..b], [a..].")
    date_note: str = Field(description="How the date was read, e.g. from a relative expression.")
    kind: str
    status: str
    place: str
    topics: list[str]
    actors: list[ProposedActorOut]
    quote: str
    start: int = Field(description="Offset of the quote's first character in the text.")
    end: int = Field(description="Offset just after the quote's last character.")
    duplicates: list[str] = Field(description="Ids of recorded developments it may repeat.")
