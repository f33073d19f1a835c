"""Event types, their schema versions and upcasters, and the one function that appends.

Nothing else inserts into the log and nothing updates it: the database refuses UPDATE,
DELETE and TRUNCATE on `timeline_event` (see timeline/db.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from timeline.models import Event

RECORDED = "DevelopmentRecorded"
CORRECTED = "DevelopmentCorrected"
RESCHEDULED = "DevelopmentRescheduled"
CONFIRMED = "DevelopmentConfirmed"
CANCELLED = "DevelopmentCancelled"
RETRACTED = "DevelopmentRetracted"

# The schema version new events are written with, per type.
SCHEMA_VERSIONS: dict[str, int] = {
    RECORDED: 2,
    CORRECTED: 1,
    RESCHEDULED: 1,
    CONFIRMED: 1,
    CANCELLED: 1,
    RETRACTED: 1,
}

IDEMPOTENCY_KEY_MAX = 200
VIA_CHOICES = ("admin", "api", "seed", "system", "import")

# Any 64-bit number that no other code in this database uses for an advisory lock.
APPEND_LOCK_KEY = 0x6B7A_7472_6163_6B  # "kztrack"


class ConcurrencyConflict(Exception):
    """The stream moved on since the caller read it: their change would overwrite another."""

    def __init__(self, *, stream_id: uuid.UUID, expected: int, actual: int, last: Event | None):
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual
        self.last = last
        who = ""
        if last is not None:
            by = last.metadata.get("by") or "someone"
            when = timezone.localtime(last.recorded_at).strftime("%Y-%m-%d %H:%M")
            who = f" by {by} at {when}"
        super().__init__(
            f"This development was changed{who} (now version {actual}) since you opened "
            f"version {expected}. Reload it and apply your change again."
        )


@dataclass(frozen=True)
class Appended:
    """What `append` did: the event, and whether it is new or a replay of an idempotency key."""

    event: Event
    created: bool


# Upcasters turn an old payload into the next schema version, on read; the log is never
# rewritten. Keyed by (type, from_version).
Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


def _recorded_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
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


UPCASTERS: dict[tuple[str, int], Upcaster] = {
    (RECORDED, 1): _recorded_v1_to_v2,
}


def upcast(type_: str, schema_version: int, data: dict[str, Any]) -> dict[str, Any]:
    """The payload of an event of `type_` at `schema_version`, in the current schema."""
    target = SCHEMA_VERSIONS[type_]
    version = schema_version
    while version < target:
        data = UPCASTERS[(type_, version)](data)
        version += 1
    return data


def payload(event: Event) -> dict[str, Any]:
    """The event's data in the current schema."""
    return upcast(event.type, event.schema_version, event.data)


def lock_log() -> None:
    """Serialize writers to the log until the end of the current transaction.

    Positions are assigned under this lock, so they become visible in commit order and a
    reader polling `position > N` never misses one committed later with a smaller number.
    SQLite needs nothing: its IMMEDIATE transactions already admit one writer at a time.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [APPEND_LOCK_KEY])


def find_by_idempotency_key(key: str) -> Event | None:
    """The event first appended with this idempotency key, if any."""
    return Event.objects.filter(idempotency_key=key).first()


def check_replay(previous: Event, fingerprint: str | None) -> None:
    """A key reused for a different request is refused, not silently answered with the first
    result (an editor who resubmits an old form with new values must not lose them)."""
    stored = previous.metadata.get("fingerprint")
    if stored and fingerprint and stored != fingerprint:
        raise ValidationError(
            {
                "idempotency_key": "This idempotency key was already used for a different "
                "request; reload and submit your change again."
            }
        )


def stream_version(stream_id: uuid.UUID) -> int:
    """The version of the stream's last event, 0 for a new stream."""
    result = Event.objects.filter(stream_id=stream_id).aggregate(v=Max("version"))["v"]
    return result or 0


def append(
    *,
    stream_id: uuid.UUID,
    expected_version: int,
    type: str,
    data: dict[str, Any],
    by: str,
    via: str,
    request_id: str | None = None,
    idempotency_key: str | None = None,
    fingerprint: str | None = None,
) -> Appended:
    """Append one event to a stream and project it, in one transaction.

    1. Take the log lock (positions in commit order).
    2. A known idempotency key returns the event it first produced, appending nothing.
    3. A stream whose version is not `expected_version` raises ConcurrencyConflict.
    4. Insert at the next gap-free position, then apply the projections inline.
    """
    if type not in SCHEMA_VERSIONS:
        raise ValueError(f"unknown event type {type!r}")
    if via not in VIA_CHOICES:
        raise ValueError(f"unknown origin {via!r}")
    if idempotency_key is not None and not 0 < len(idempotency_key) <= IDEMPOTENCY_KEY_MAX:
        raise ValueError(f"an idempotency key has 1 to {IDEMPOTENCY_KEY_MAX} characters")
    metadata: dict[str, Any] = {"by": by, "via": via}
    if request_id:
        metadata["request_id"] = request_id
    if idempotency_key:
        metadata["idempotency_key"] = idempotency_key
        if fingerprint:
            metadata["fingerprint"] = fingerprint

    with transaction.atomic():
        lock_log()
        if idempotency_key:
            previous = find_by_idempotency_key(idempotency_key)
            if previous is not None:
                check_replay(previous, fingerprint)
                return Appended(event=previous, created=False)
        actual = stream_version(stream_id)
        if actual != expected_version:
            last = Event.objects.filter(stream_id=stream_id).order_by("-version").first()
            raise ConcurrencyConflict(
                stream_id=stream_id, expected=expected_version, actual=actual, last=last
            )
        event = insert(
            stream_id=stream_id,
            version=actual + 1,
            type=type,
            schema_version=SCHEMA_VERSIONS[type],
            data=data,
            metadata=metadata,
            recorded_at=timezone.now(),
        )
        from timeline import projections  # projections import this module

        projections.apply_inline(event)
    return Appended(event=event, created=True)


def insert(
    *,
    stream_id: uuid.UUID,
    version: int,
    type: str,
    schema_version: int,
    data: dict[str, Any],
    metadata: dict[str, Any],
    recorded_at: Any,
    position: int | None = None,
) -> Event:
    """Insert one row at the next position. Callers hold the log lock: `append` and the
    backup's `import_events`, which keeps the original positions."""
    last = Event.objects.aggregate(p=Max("position"))["p"] or 0
    if position is None:
        position = last + 1
    elif position != last + 1:
        raise ValueError(f"position {position} would leave a gap after {last}")
    return Event.objects.create(
        position=position,
        stream_id=stream_id,
        version=version,
        type=type,
        schema_version=schema_version,
        data=data,
        metadata=metadata,
        recorded_at=recorded_at,
        idempotency_key=metadata.get("idempotency_key"),
    )
