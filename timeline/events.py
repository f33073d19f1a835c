"""The registry of event types: everything about a type of event, declared once.

Each entry holds the type's name, the schema version new events are written with, the
upcasters that bring older payloads up to it (on read: the log is never rewritten), the
pure projection handler that turns a development's state and the event into the next
state, and how readers are told about it (an action name, a label in French and English,
whether it is news for the weekly digest, and its public note). History pages, the API,
the feeds and the digest read their descriptions from here; `timeline.log` refuses to
append a type that is not registered, and a test fails when an entry lacks a part.

Handlers are pure: they take the state as a plain dict (None before the first event), the
event (for its stream id and time) and its payload in the current schema, and return the
next state. They touch no database, so the inline projection and the full rebuild give
the same result.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from timeline import dates
from timeline.models import Status

# A development's fields, as commands take them, events carry them and states hold them.
# Status is not among them: it moves only through its own commands.
DEVELOPMENT_FIELDS = (
    "title",
    "summary",
    "kind",
    "date",
    "date_note",
    "place",
    "stage",
    "topics",
    "actors",
    "sources",
)
LIST_FIELDS = ("topics", "actors", "sources")
REQUIRED_FIELDS = ("title", "kind", "date", "topics")

State = dict[str, Any]
Payload = dict[str, Any]
Upcaster = Callable[[Payload], Payload]


class EventLike(Protocol):
    """What a handler may read of an event besides its payload."""

    stream_id: uuid.UUID
    recorded_at: Any


Handler = Callable[[State | None, EventLike, Payload], State]


def _always(data: Payload) -> bool:
    return True


def _never(data: Payload) -> bool:
    return False


@dataclass(frozen=True)
class EventType:
    """One type of event. `upcasters[n]` turns a payload of schema version n into n + 1."""

    name: str
    schema_version: int
    handler: Handler
    action: str  # the API's and the templates' name for it: "corrected"
    labels: Mapping[str, str]  # what readers are told, per language: {"fr": "Corrigé", ...}
    upcasters: Mapping[int, Upcaster] = field(default_factory=dict)
    is_news: Callable[[Payload], bool] = _always  # False: left out of the digest and feeds
    is_public: Callable[[Payload], bool] = _always  # False: left out of the public history
    note_field: str = ""  # the payload's public text: "note" (a correction), "reason", or none
    news_rank: int = 0  # when a week holds several, the digest tells the highest
    # True: a calendar entry shows the change (date, status, title, place), so iCalendar's
    # SEQUENCE grows by one (RFC 5545).
    changes_calendar: Callable[[Payload], bool] = _never

    def note(self, data: Payload) -> str:
        """The public note or reason the event carries ("" when none)."""
        return str(data.get(self.note_field, "")) if self.note_field else ""

    def label(self, lang: str) -> str:
        return self.labels.get(lang[:2]) or self.labels["fr"]

    def upcast(self, schema_version: int, data: Payload) -> Payload:
        """The payload in the current schema."""
        while schema_version < self.schema_version:
            data = self.upcasters[schema_version](data)
            schema_version += 1
        return data

    def problems(self) -> list[str]:
        """What this entry lacks; empty when it is complete."""
        found = []
        if not self.name or not self.action:
            found.append("a name and an action")
        if self.schema_version < 1:
            found.append("a schema version ≥ 1")
        missing = [v for v in range(1, self.schema_version) if v not in self.upcasters]
        if missing:
            found.append(f"upcasters from schema versions {missing}")
        if not callable(self.handler):
            found.append("a projection handler")
        if not all(self.labels.get(lang) for lang in ("fr", "en")):
            found.append("a label in French and in English")
        return found


REGISTRY: dict[str, EventType] = {}


def register(entry: EventType) -> EventType:
    """Add a type to the registry; an incomplete or duplicate entry fails at import."""
    problems = entry.problems()
    if problems:
        raise TypeError(f"event type {entry.name!r} lacks {', '.join(problems)}")
    if entry.name in REGISTRY:
        raise TypeError(f"event type {entry.name!r} is registered twice")
    if any(e.action == entry.action for e in REGISTRY.values()):
        raise TypeError(f"action {entry.action!r} already names another event type")
    REGISTRY[entry.name] = entry
    return entry


def event_type(name: str, **description: Any) -> Callable[[Handler], Handler]:
    """Declare an event type on its projection handler:

    @event_type("DevelopmentCancelled", schema_version=1, action="cancelled", ...)
    def cancelled(state, event, data): ...
    """

    def decorate(handler: Handler) -> Handler:
        register(EventType(name=name, handler=handler, **description))
        return handler

    return decorate


def get(name: str) -> EventType:
    """The registered type with this name; LookupError names it when there is none."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise LookupError(f"unknown event type {name!r}") from None


def by_action(action: str) -> EventType:
    return next(e for e in REGISTRY.values() if e.action == action)


def payload(event: Any) -> Payload:
    """An event's data in the current schema of its type."""
    return get(event.type).upcast(event.schema_version, event.data)


def evolve(state: State | None, event: Any) -> State:
    """The state after `event`, by its type's handler, with the stream's bookkeeping."""
    new = get(event.type).handler(state, event, payload(event))
    new["version"] = event.version
    new["updated_at"] = event.recorded_at
    new["last_position"] = event.position
    return new


# --- the development's event types ------------------------------------------------------


def _with_date(state: State, text: str) -> None:
    parsed = dates.parse(text)
    state["date"] = parsed.text
    state["date_lower"] = parsed.lower
    state["date_upper"] = parsed.upper
    state["date_sort"] = parsed.anchor


def _recorded_v1_to_v2(data: Payload) -> Payload:
    """v1 had one `topic`, actors as bare slugs and one `source`; v2 has lists of each."""
    new = {k: v for k, v in data.items() if k not in {"topic", "source"}}
    new["topics"] = [data["topic"]] if data.get("topic") else []
    new["actors"] = [
        a if isinstance(a, dict) else {"actor": a, "role": ""} for a in data.get("actors", [])
    ]
    new["sources"] = [data["source"]] if data.get("source") else []
    new.setdefault("stage", "")
    new.setdefault("date_note", "")
    return new


@event_type(
    "DevelopmentRecorded",
    schema_version=2,
    upcasters={1: _recorded_v1_to_v2},
    action="recorded",
    labels={"fr": "Enregistré", "en": "Recorded"},
    news_rank=3,
)
def recorded(state: State | None, event: EventLike, data: Payload) -> State:
    new: State = {
        "id": event.stream_id,
        "title": data["title"],
        "summary": data.get("summary", ""),
        "kind": data["kind"],
        "date_note": data.get("date_note", ""),
        "status": data.get("status", Status.TOOK_PLACE),
        "place": data.get("place", ""),
        "stage": data.get("stage", ""),
        "topics": list(data.get("topics", [])),
        "actors": [dict(a) for a in data.get("actors", [])],
        "sources": [dict(s) for s in data.get("sources", [])],
        "corrections": 0,
        "reschedulings": 0,
        "status_reason": "",
        "first_recorded_at": event.recorded_at,
    }
    _with_date(new, data["date"])
    return new


def _not_silent(data: Payload) -> bool:
    return not data.get("silent")


CALENDAR_FIELDS = frozenset({"title", "date", "place"})


def _changes_calendar_fields(data: Payload) -> bool:
    return bool(CALENDAR_FIELDS & set(data.get("changes", {})))


@event_type(
    "DevelopmentCorrected",
    schema_version=1,
    action="corrected",
    labels={"fr": "Corrigé", "en": "Corrected"},
    is_news=_not_silent,
    is_public=_not_silent,
    note_field="note",
    changes_calendar=_changes_calendar_fields,
)
def corrected(state: State | None, event: EventLike, data: Payload) -> State:
    assert state is not None
    for name, value in data["changes"].items():
        if name == "date":
            _with_date(state, value)
        else:
            state[name] = value
    if not data.get("silent"):
        state["corrections"] += 1
    return state


@event_type(
    "DevelopmentRescheduled",
    schema_version=1,
    action="rescheduled",
    labels={"fr": "Reprogrammé", "en": "Rescheduled"},
    note_field="note",
    news_rank=2,
    changes_calendar=_always,
)
def rescheduled(state: State | None, event: EventLike, data: Payload) -> State:
    assert state is not None
    _with_date(state, data["date"])
    state["reschedulings"] += 1
    return state


@event_type(
    "DevelopmentConfirmed",
    schema_version=1,
    action="confirmed",
    labels={"fr": "Confirmé : a eu lieu", "en": "Confirmed: it took place"},
    note_field="note",
    news_rank=1,
    changes_calendar=_always,
)
def confirmed(state: State | None, event: EventLike, data: Payload) -> State:
    assert state is not None
    state["status"] = Status.TOOK_PLACE
    if data.get("date"):
        _with_date(state, data["date"])
    return state


@event_type(
    "DevelopmentCancelled",
    schema_version=1,
    action="cancelled",
    labels={"fr": "Annulé", "en": "Cancelled"},
    note_field="reason",
    news_rank=4,
    changes_calendar=_always,
)
def cancelled(state: State | None, event: EventLike, data: Payload) -> State:
    assert state is not None
    state["status"] = Status.CANCELLED
    state["status_reason"] = data["reason"]
    return state


@event_type(
    "DevelopmentRetracted",
    schema_version=1,
    action="retracted",
    labels={"fr": "Retiré", "en": "Retracted"},
    note_field="reason",
    news_rank=5,
    changes_calendar=_always,
)
def retracted(state: State | None, event: EventLike, data: Payload) -> State:
    assert state is not None
    state["status"] = Status.RETRACTED
    state["status_reason"] = data["reason"]
    return state


@event_type(
    "DevelopmentSourceAdded",
    schema_version=1,
    action="source_added",
    labels={"fr": "Source ajoutée", "en": "Source added"},
    is_news=lambda data: False,  # another source for the same fact is not news
)
def source_added(state: State | None, event: EventLike, data: Payload) -> State:
    assert state is not None
    state["sources"] = [*state["sources"], dict(data["source"])]
    return state


# The names commands append with; each is registered above.
RECORDED = "DevelopmentRecorded"
CORRECTED = "DevelopmentCorrected"
RESCHEDULED = "DevelopmentRescheduled"
CONFIRMED = "DevelopmentConfirmed"
CANCELLED = "DevelopmentCancelled"
RETRACTED = "DevelopmentRetracted"
SOURCE_ADDED = "DevelopmentSourceAdded"
