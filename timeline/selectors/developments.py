"""One development: the read model with its topics and actors, and its history as readers
see it, replayed from the log."""

from __future__ import annotations

import copy
import datetime
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError

from timeline import events
from timeline.commands import DevelopmentNotFound
from timeline.models import Development, Event
from timeline.selectors.timeline import with_links


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
_COMPARED = (
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
    "status",
)


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
            changes = [
                Change(name, before.get(name), state.get(name))
                for name in _COMPARED
                if before.get(name) != state.get(name)
            ]
        if public and data.get("silent"):
            continue
        entries.append(
            HistoryEntry(
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
            )
        )
    return entries
