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
from timeline.exceptions import DevelopmentNotFound
from timeline.models import Development, Event
from timeline.selectors.log import public_author
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
    action: str  # the event type's action: recorded, corrected, rescheduled, ...
    recorded_at: datetime.datetime
    by: str
    via: str
    note: str = ""  # a correction's, rescheduling's or confirmation's public note
    reason: str = ""  # a cancellation's or retraction's public reason
    silent: bool = False  # left out of the public history (a silent fix)
    changes: list[Change] = field(default_factory=list)

    def label(self, lang: str) -> str:
        """What happened, in words, from the event type's registry entry."""
        return events.get(self.type).label(lang)


# What a history entry compares before and after each event.
_COMPARED = (*events.DEVELOPMENT_FIELDS, "status")


def action_label(*, action: str, lang: str) -> str:
    """What an event type's action means, in words, from the registry ("Corrigé")."""
    return events.by_action(action).label(lang)


def development_history(*, id: uuid.UUID | str, public: bool = True) -> list[HistoryEntry]:
    """The development's events in order, each upcast, with what it changed.

    The stream is replayed through the projection handlers to know each field's value
    before an event. Silent fixes (typos) are left out of the public history.
    """
    if not _exists(id):
        raise DevelopmentNotFound(id)
    entries: list[HistoryEntry] = []
    state: dict[str, Any] | None = None
    for event in Event.objects.filter(stream_id=id).order_by("version"):
        entry = events.get(event.type)
        data = entry.upcast(event.schema_version, event.data)
        before = copy.deepcopy(state) if state is not None else None
        state = events.evolve(copy.deepcopy(state), event)
        changes = []
        if before is not None:
            changes = [
                Change(name, before.get(name), state.get(name))
                for name in _COMPARED
                if before.get(name) != state.get(name)
            ]
        if public and not entry.is_public(data):
            continue
        entries.append(
            HistoryEntry(
                position=event.position,
                version=event.version,
                type=event.type,
                action=entry.action,
                recorded_at=event.recorded_at,
                by=public_author(event.metadata) if public else str(event.metadata.get("by", "")),
                via=str(event.metadata.get("via", "")),
                note=entry.note(data) if entry.note_field == "note" else "",
                reason=entry.note(data) if entry.note_field == "reason" else "",
                silent=not entry.is_public(data),
                changes=changes,
            )
        )
    return entries
