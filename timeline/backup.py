"""The log as the backup: export it as JSON Lines, import it into an empty database.

The file is JSON Lines, ASCII only, one object per line, each with a `kind`:

    header   the format and when the export was made
    topic    reference data the projections join to; it is not event-sourced, so it
    actor    travels with the log (without it a restored timeline would lose its threads)
    event    one row of the log with every column, in position order
    trailer  how many lines and events came before it, and the chained checksum

Every line carries `sha256`, the SHA-256 of its own canonical JSON (the object without
`sha256`, keys sorted, no spaces). The trailer's `chain` folds every line's checksum in
order, so an edited line, a dropped, repeated or reordered line, or a file cut short
(no trailer) is refused, and the import's one transaction leaves the database untouched.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any

from django.db import DatabaseError, transaction
from django.db.models import Max
from django.utils import timezone

from timeline import events, log, projections
from timeline.db import lock_log
from timeline.models import Actor, Event, Topic, TopicStage

FORMAT = "kztrack-events"
FORMAT_VERSION = 1
BATCH_SIZE = 1000

Progress = Callable[[int], None]


class BackupRefused(Exception):
    """The file cannot be imported (or not here); nothing was written."""


@dataclass(frozen=True)
class BackupResult:
    events: int
    last_position: int
    chain: str


def canonical(obj: dict[str, Any]) -> bytes:
    """The one serialization checksums are computed over."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def _sha256(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


class _Chain:
    """The running checksum over every line's checksum, in file order."""

    def __init__(self) -> None:
        self.value = _sha256(f"{FORMAT}/{FORMAT_VERSION}")

    def add(self, line_sha: str) -> None:
        self.value = _sha256(self.value + line_sha)


# --- export -----------------------------------------------------------------------------


def _event_line(event: Event) -> dict[str, Any]:
    return {
        "kind": "event",
        "position": event.position,
        "stream_id": str(event.stream_id),
        "version": event.version,
        "type": event.type,
        "schema_version": event.schema_version,
        "data": event.data,
        "metadata": event.metadata,
        "recorded_at": event.recorded_at.astimezone(UTC).isoformat(),
    }


def _reference_lines() -> Iterable[dict[str, Any]]:
    for topic in Topic.objects.prefetch_related("stages").order_by("position", "slug"):
        yield {
            "kind": "topic",
            "slug": topic.slug,
            "name_fr": topic.name_fr,
            "name_en": topic.name_en,
            "description_fr": topic.description_fr,
            "description_en": topic.description_en,
            "position": topic.position,
            "stages": [s.stage for s in sorted(topic.stages.all(), key=lambda s: s.order)],
        }
    for actor in Actor.objects.order_by("slug"):
        yield {
            "kind": "actor",
            "slug": actor.slug,
            "name": actor.name,
            "actor_kind": actor.kind,
            "description_fr": actor.description_fr,
        }


def _events_up_to(last: int, batch_size: int) -> Iterable[Event]:
    """Every event up to `last`, in order, a batch at a time (keyset, so memory stays flat).

    Positions are assigned under the log lock, so once `last` is committed every smaller
    position is too: the export is a consistent prefix of the log.
    """
    after = 0
    while after < last:
        batch = list(
            Event.objects.filter(position__gt=after, position__lte=last).order_by("position")[
                :batch_size
            ]
        )
        if not batch:
            return
        yield from batch
        after = batch[-1].position


def log_export(
    *, out: IO[bytes], progress: Progress | None = None, batch_size: int = BATCH_SIZE
) -> BackupResult:
    """Write the log (and the reference data it names) to `out` as checksummed JSON Lines."""
    last = Event.objects.aggregate(p=Max("position"))["p"] or 0
    chain = _Chain()
    lines = 0
    count = 0

    def write(obj: dict[str, Any]) -> None:
        nonlocal lines
        sha = _sha256(canonical(obj))
        out.write(canonical({**obj, "sha256": sha}) + b"\n")
        chain.add(sha)
        lines += 1

    write(
        {
            "kind": "header",
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "exported_at": timezone.now().astimezone(UTC).isoformat(),
            "last_position": last,
        }
    )
    for obj in _reference_lines():
        write(obj)
    for event in _events_up_to(last, batch_size):
        write(_event_line(event))
        count += 1
        if progress:
            progress(1)
    trailer = {"kind": "trailer", "lines": lines, "events": count, "chain": chain.value}
    out.write(canonical({**trailer, "sha256": _sha256(canonical(trailer))}) + b"\n")
    out.flush()
    return BackupResult(events=count, last_position=last, chain=chain.value)


# --- import -----------------------------------------------------------------------------


def _parse(raw: bytes, number: int) -> dict[str, Any]:
    """One line, its own checksum verified."""
    try:
        obj = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BackupRefused(
            f"Line {number} is not valid JSON: the file is damaged or cut short."
        ) from None
    if not isinstance(obj, dict) or not isinstance(obj.get("sha256"), str):
        raise BackupRefused(f"Line {number} is not a backup line (no sha256).")
    claimed = obj.pop("sha256")
    if _sha256(canonical(obj)) != claimed:
        raise BackupRefused(f"Line {number} does not match its checksum: the file was altered.")
    obj["sha256"] = claimed
    return obj


def _field(obj: dict[str, Any], name: str, type_: type, number: int) -> Any:
    value = obj.get(name)
    if not isinstance(value, type_) or (type_ is int and isinstance(value, bool)):
        raise BackupRefused(f"Line {number}: `{name}` is missing or not a {type_.__name__}.")
    return value


def _insert_event(obj: dict[str, Any], number: int) -> None:
    type_ = _field(obj, "type", str, number)
    if type_ not in events.REGISTRY:
        raise BackupRefused(f"Line {number}: unknown event type {type_!r}.")
    schema_version = _field(obj, "schema_version", int, number)
    if not 1 <= schema_version <= events.get(type_).schema_version:
        raise BackupRefused(f"Line {number}: {type_} has no schema version {schema_version}.")
    try:
        stream_id = uuid.UUID(_field(obj, "stream_id", str, number))
        recorded_at = datetime.fromisoformat(_field(obj, "recorded_at", str, number))
    except ValueError as exc:
        raise BackupRefused(f"Line {number}: {exc}.") from None
    if recorded_at.tzinfo is None:
        raise BackupRefused(f"Line {number}: `recorded_at` has no time zone.")
    try:
        log.restore(
            position=_field(obj, "position", int, number),
            stream_id=stream_id,
            version=_field(obj, "version", int, number),
            type=type_,
            schema_version=schema_version,
            data=_field(obj, "data", dict, number),
            metadata=_field(obj, "metadata", dict, number),
            recorded_at=recorded_at,
        )
    except ValueError as exc:  # a gap in positions, an unknown schema
        raise BackupRefused(f"Line {number}: {exc}.") from None
    except DatabaseError as exc:  # a repeated stream version or idempotency key
        raise BackupRefused(f"Line {number}: the database refused the event ({exc}).") from None


def _upsert_topic(obj: dict[str, Any], number: int) -> None:
    topic, _ = Topic.objects.update_or_create(
        slug=_field(obj, "slug", str, number),
        defaults={
            "name_fr": _field(obj, "name_fr", str, number),
            "name_en": _field(obj, "name_en", str, number),
            "description_fr": _field(obj, "description_fr", str, number),
            "description_en": _field(obj, "description_en", str, number),
            "position": _field(obj, "position", int, number),
        },
    )
    for order, stage in enumerate(_field(obj, "stages", list, number)):
        TopicStage.objects.update_or_create(topic=topic, stage=stage, defaults={"order": order})


def _upsert_actor(obj: dict[str, Any], number: int) -> None:
    Actor.objects.update_or_create(
        slug=_field(obj, "slug", str, number),
        defaults={
            "name": _field(obj, "name", str, number),
            "kind": _field(obj, "actor_kind", str, number),
            "description_fr": _field(obj, "description_fr", str, number),
        },
    )


def _check_header(obj: dict[str, Any]) -> None:
    if obj.get("kind") != "header" or obj.get("format") != FORMAT:
        raise BackupRefused("Line 1 is not a kztrack events header: this is not an export.")
    if obj.get("format_version") != FORMAT_VERSION:
        raise BackupRefused(
            f"This export has format version {obj.get('format_version')!r}; "
            f"this kztrack reads version {FORMAT_VERSION}."
        )


def _check_trailer(obj: dict[str, Any], *, lines: int, count: int, chain: str) -> None:
    if obj.get("lines") != lines or obj.get("events") != count:
        raise BackupRefused(
            f"The trailer counts {obj.get('lines')} lines and {obj.get('events')} events, "
            f"the file holds {lines} lines and {count} events: lines are missing or repeated."
        )
    if obj.get("chain") != chain:
        raise BackupRefused(
            "The chained checksum does not match: lines were removed, repeated or reordered."
        )


def log_import(*, source: IO[bytes], progress: Progress | None = None) -> BackupResult:
    """Load an export into an empty log, then rebuild the projections from it.

    1. Under the log lock, in one transaction: refuse a log that is not empty.
    2. Verify each line's checksum and the chain as it is read; insert reference data
       and events (positions, versions, schema versions, metadata and times as written).
    3. Any fault (a bad line, a missing trailer, a gap) raises BackupRefused and the
       transaction rolls back: nothing is imported.
    4. After commit, reset the read models and replay the restored log into them.
    """
    chain = _Chain()
    lines = count = last = 0
    trailer_seen = False
    with transaction.atomic():
        lock_log()
        existing = Event.objects.count()
        if existing:
            raise BackupRefused(
                f"The event log already holds {existing} events: import only into an empty "
                "log (a freshly migrated database)."
            )
        for number, raw in enumerate(source, start=1):
            if progress:
                progress(len(raw))
            if not raw.strip():
                raise BackupRefused(f"Line {number} is empty: the file was altered.")
            if trailer_seen:
                raise BackupRefused(f"Line {number} follows the trailer: the file was altered.")
            obj = _parse(raw, number)
            kind = obj.get("kind")
            if number == 1:
                _check_header(obj)
            elif kind == "trailer":
                _check_trailer(obj, lines=lines, count=count, chain=chain.value)
                trailer_seen = True
                continue
            elif kind == "topic":
                _upsert_topic(obj, number)
            elif kind == "actor":
                _upsert_actor(obj, number)
            elif kind == "event":
                _insert_event(obj, number)
                count += 1
                last = obj["position"]
            else:
                raise BackupRefused(f"Line {number} has an unknown kind {kind!r}.")
            chain.add(obj["sha256"])
            lines += 1
        if lines == 0:
            raise BackupRefused("The file is empty.")
        if not trailer_seen:
            raise BackupRefused("The file ends before its trailer: it was cut short.")
    projections.reset()
    projections.catch_up()
    projections.drop_stamp()
    return BackupResult(events=count, last_position=last, chain=chain.value)
