"""The log's two doors: `append` for commands, `restore` for `import_events`.

Nothing else inserts into `timeline_event` and nothing updates it: the database refuses
UPDATE, DELETE and TRUNCATE on it (timeline/db.py). Both doors take the log lock, insert
at the next gap-free position and project the event in the same transaction, so the read
models never lag behind the log.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from timeline import events, projections
from timeline.db import lock_log
from timeline.exceptions import ConcurrencyConflict
from timeline.models import Event, ProjectionState

IDEMPOTENCY_KEY_MAX = 200
VIA_CHOICES = ("admin", "api", "seed", "system", "import")


@dataclass(frozen=True)
class Appended:
    """What `append` did: the event, and whether it is new or a replay of an idempotency key."""

    event: Event
    created: bool


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


def check_version(stream_id: uuid.UUID, expected_version: int) -> int:
    """The stream's version; ConcurrencyConflict when it is not `expected_version`.

    Commands call it before they look at the development's state, so a caller who read an
    old version hears "it changed" (412) rather than a verdict on a state they never saw;
    `append` calls it again under the log lock, where the answer is final.
    """
    actual = stream_version(stream_id)
    if actual != expected_version:
        raise _conflict(stream_id, expected_version, actual)
    return actual


def _conflict(stream_id: uuid.UUID, expected: int, actual: int) -> ConcurrencyConflict:
    """The refusal of a stale version, naming who changed the stream last, and when."""
    last = Event.objects.filter(stream_id=stream_id).order_by("-version").first()
    return ConcurrencyConflict(
        stream_id=stream_id,
        expected=expected,
        actual=actual,
        by=str(last.metadata.get("by", "")) if last else "",
        at=timezone.localtime(last.recorded_at) if last else None,
    )


@dataclass(frozen=True)
class Head:
    """What an append needs to know about the log, read in one statement under the lock."""

    position: int  # the last position in the log
    version: int  # the stream's version
    checkpoint: int | None  # the projection's checkpoint (None: not started)
    replay: int | None  # the position of the event with this idempotency key


def _head(stream_id: uuid.UUID, idempotency_key: str | None) -> Head:
    event, state = Event._meta.db_table, ProjectionState._meta.db_table
    # A UUID as the column stores it (SQLite keeps hex text).
    stream = Event._meta.get_field("stream_id").get_db_prep_value(stream_id, connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT MAX(position) FROM {event}), "
            f"(SELECT MAX(version) FROM {event} WHERE stream_id = %s), "
            f"(SELECT position FROM {state} WHERE name = %s), "
            f"(SELECT position FROM {event} WHERE idempotency_key = %s)",
            [stream, projections.NAME, idempotency_key],
        )
        position, version, checkpoint, replay = cursor.fetchone()
    return Head(position or 0, version or 0, checkpoint, replay)


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
    before: projections.State | None = projections.UNKNOWN,
) -> Appended:
    """Append one event to a stream and project it, in one transaction.

    1. Take the log lock (positions in commit order).
    2. Read the log's head: last position, the stream's version, the projection's
       checkpoint and any event with this idempotency key (one statement).
    3. A known idempotency key returns the event it first produced, appending nothing.
    4. A stream whose version is not `expected_version` raises ConcurrencyConflict.
    5. Insert at the next gap-free position, then apply the projections inline, given the
       new event (and `before`, the stream's state if the command loaded it).

    Inside a caller's transaction no savepoint is taken (the caller's suffices); the
    refusals of 3 and 4 are raised after the block, so they leave that transaction usable.
    """
    entry = events.get(type)
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

    refusal: Exception | None = None
    with transaction.atomic(savepoint=False):
        lock_log()
        head = _head(stream_id, idempotency_key)
        if head.replay is not None:
            previous = Event.objects.get(position=head.replay)
            try:
                check_replay(previous, fingerprint)
            except ValidationError as error:
                refusal = error
            else:
                return Appended(event=previous, created=False)
        elif head.version != expected_version:
            refusal = _conflict(stream_id, expected_version, head.version)
        else:
            event = Event.objects.create(
                position=head.position + 1,
                stream_id=stream_id,
                version=head.version + 1,
                type=type,
                schema_version=entry.schema_version,
                data=data,
                metadata=metadata,
                recorded_at=timezone.now(),
                idempotency_key=idempotency_key,
            )
            projections.apply_inline(event, position=head.checkpoint, before=before)
    if refusal is not None:
        raise refusal
    return Appended(event=event, created=True)


def restore(
    *,
    position: int,
    stream_id: uuid.UUID,
    version: int,
    type: str,
    schema_version: int,
    data: dict[str, Any],
    metadata: dict[str, Any],
    recorded_at: datetime.datetime,
) -> Event:
    """Put back one event of a backup as it was: its position, version, schema and time.

    The caller (`timeline.backup.import_events`) holds the log lock and the transaction.
    The position must follow the last one without a gap (ValueError otherwise; a repeated
    stream version is refused by the database); a type or schema version this code does
    not know is refused rather than stored unreadable.
    """
    entry = events.get(type)
    if not 1 <= schema_version <= entry.schema_version:
        raise ValueError(f"{type} has no schema version {schema_version}")
    last = Event.objects.aggregate(p=Max("position"))["p"] or 0
    if position != last + 1:
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
