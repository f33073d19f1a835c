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

What the checksums prove, and what they do not: they catch accidents (a damaged disk, a
truncated copy, a line lost in transit), not tampering: SHA-256 needs no key, so whoever
edits a line can recompute every checksum. Two things stand against an edited file:

- each event is held to the rules its command applies (timeline.commands.event_check:
  text, dates, known topics and actors, http(s) source URLs) and projected in the import's
  transaction, so a file that no sequence of commands could have written is refused
  whole, naming its line, and nothing is committed;
- when BACKUP_HMAC_KEY is set, the export signs the chain with HMAC-SHA256 under that key
  (the trailer's `hmac`) and the import refuses a file without a valid signature: only
  someone holding the key can produce a file the import accepts.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.db.models import Max
from django.utils import timezone

from timeline import commands, events, log, projections, text
from timeline.db import lock_log
from timeline.exceptions import ProjectionFailed
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


def _signature(key: str, chain: str) -> str:
    return hmac.new(key.encode(), chain.encode(), hashlib.sha256).hexdigest()


def _key(key: str | None) -> str:
    return settings.BACKUP_HMAC_KEY if key is None else key


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
    *,
    out: IO[bytes],
    progress: Progress | None = None,
    batch_size: int = BATCH_SIZE,
    key: str | None = None,
) -> BackupResult:
    """Write the log (and the reference data it names) to `out` as checksummed JSON Lines,
    signed with `key` (default: settings.BACKUP_HMAC_KEY) when there is one."""
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
    trailer: dict[str, Any] = {
        "kind": "trailer",
        "lines": lines,
        "events": count,
        "chain": chain.value,
    }
    if _key(key):
        trailer["hmac"] = _signature(_key(key), chain.value)
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


def _check_payload(type_: str, schema_version: int, obj: dict[str, Any], number: int) -> None:
    """Hold the event to its command's rules, as it would have been checked when written."""
    data = _field(obj, "data", dict, number)
    metadata = _field(obj, "metadata", dict, number)
    try:
        commands.event_check(type=type_, schema_version=schema_version, data=data)
        for name in ("by", "via"):
            text.clean_text(metadata.get(name), f"metadata.{name}", max_length=200)
    except ValidationError as exc:
        problems = "; ".join(
            f"{field}: {' '.join(messages)}" for field, messages in exc.message_dict.items()
        )
        raise BackupRefused(
            f"Line {number}: {type_} that no command would write ({problems})."
        ) from None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:  # an upcaster's input
        raise BackupRefused(f"Line {number}: {type_} cannot be read ({exc!r}).") from None
    if metadata.get("via") not in log.VIA_CHOICES:
        raise BackupRefused(f"Line {number}: unknown origin {metadata.get('via')!r}.")


def _insert_event(obj: dict[str, Any], number: int) -> Event:
    type_ = _field(obj, "type", str, number)
    if type_ not in events.REGISTRY:
        raise BackupRefused(f"Line {number}: unknown event type {type_!r}.")
    schema_version = _field(obj, "schema_version", int, number)
    if not 1 <= schema_version <= events.get(type_).schema_version:
        raise BackupRefused(f"Line {number}: {type_} has no schema version {schema_version}.")
    _check_payload(type_, schema_version, obj, number)
    try:
        stream_id = uuid.UUID(_field(obj, "stream_id", str, number))
        recorded_at = datetime.fromisoformat(_field(obj, "recorded_at", str, number))
    except ValueError as exc:
        raise BackupRefused(f"Line {number}: {exc}.") from None
    if recorded_at.tzinfo is None:
        raise BackupRefused(f"Line {number}: `recorded_at` has no time zone.")
    try:
        return log.restore(
            position=_field(obj, "position", int, number),
            stream_id=stream_id,
            version=_field(obj, "version", int, number),
            type=type_,
            schema_version=schema_version,
            data=obj["data"],
            metadata=obj["metadata"],
            recorded_at=recorded_at,
        )
    except ValueError as exc:  # a gap in positions, an unknown schema
        raise BackupRefused(f"Line {number}: {exc}.") from None
    except DatabaseError as exc:  # a repeated stream version or idempotency key
        raise BackupRefused(f"Line {number}: the database refused the event ({exc}).") from None


class _Projector:
    """Projects restored events a batch at a time, in the import's transaction, and names
    the line of the first one that cannot be projected."""

    def __init__(self) -> None:
        self.batch: list[Event] = []
        self.lines: dict[int, int] = {}

    def add(self, event: Event, number: int) -> None:
        self.batch.append(event)
        self.lines[event.position] = number
        if len(self.batch) >= BATCH_SIZE:
            self.flush()

    def flush(self) -> None:
        if not self.batch:
            return
        first, last = self.lines[self.batch[0].position], self.lines[self.batch[-1].position]
        try:
            projections.apply_restored(self.batch)
        except ProjectionFailed as exc:
            raise BackupRefused(
                f"Line {self.lines[exc.position]}: the event cannot be projected "
                f"({exc.error!r}): no command could have written it."
            ) from None
        except DatabaseError as exc:
            raise BackupRefused(
                f"Lines {first}–{last}: the read models refused these events ({exc})."
            ) from None
        self.batch, self.lines = [], {}


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


def _check_trailer(obj: dict[str, Any], *, lines: int, count: int, chain: str, key: str) -> None:
    if obj.get("lines") != lines or obj.get("events") != count:
        raise BackupRefused(
            f"The trailer counts {obj.get('lines')} lines and {obj.get('events')} events, "
            f"the file holds {lines} lines and {count} events: lines are missing or repeated."
        )
    if obj.get("chain") != chain:
        raise BackupRefused(
            "The chained checksum does not match: lines were removed, repeated or reordered."
        )
    if key:
        signature = obj.get("hmac")
        if not isinstance(signature, str):
            raise BackupRefused(
                "The file is not signed, and BACKUP_HMAC_KEY asks for a signed backup."
            )
        if not hmac.compare_digest(signature, _signature(key, chain)):
            raise BackupRefused(
                "The signature does not match BACKUP_HMAC_KEY: the file was altered or "
                "signed with another key."
            )


def log_import(
    *, source: IO[bytes], progress: Progress | None = None, key: str | None = None
) -> BackupResult:
    """Load an export into an empty log and project it, all or nothing.

    1. Under the log lock, in one transaction: refuse a log that is not empty; empty the
       read models.
    2. Verify each line's checksum and the chain as it is read; insert reference data
       and events (positions, versions, schema versions, metadata and times as written),
       each event held to its command's rules (`commands.event_check`).
    3. Project the events in the same transaction, a batch at a time.
    4. Check the trailer (and its signature when `key`, default settings.BACKUP_HMAC_KEY,
       is set). Any fault raises BackupRefused naming the line, and the transaction rolls
       back: nothing is imported, and appends, rebuilds and a new import work as before.
    """
    key = _key(key)
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
        projections.reset()
        projector = _Projector()
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
                _check_trailer(obj, lines=lines, count=count, chain=chain.value, key=key)
                trailer_seen = True
                continue
            elif kind == "topic":
                _upsert_topic(obj, number)
            elif kind == "actor":
                _upsert_actor(obj, number)
            elif kind == "event":
                projector.add(_insert_event(obj, number), number)
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
        projector.flush()
    projections.drop_stamp()
    return BackupResult(events=count, last_position=last, chain=chain.value)
