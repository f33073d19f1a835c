"""Projections: where the read models (Development, its topic threads and actors) are kept.

The handlers that compute a development's next state are pure and live with their event
types in the registry (timeline/events.py); this module loads states, saves them, and
keeps the checkpoint (ProjectionState "developments": the last position applied). The
same code serves the inline projection in the append's transaction (`apply_inline`,
called by timeline/log.py) and the replay of `rebuild_projections`, so both give the
same state.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple

import orjson
from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import OuterRef

from timeline import events
from timeline.db import lock_log
from timeline.exceptions import ProjectionFailed
from timeline.models import (
    Actor,
    Development,
    DevelopmentActor,
    DevelopmentTopic,
    Event,
    ProjectionState,
    SuspendedIndex,
    Topic,
)
from timeline.words import fold, split_aliases

NAME = "developments"
BATCH_SIZE = 2000
# How long the log stamp may live in the cache: it bounds how stale a reader could be in
# the rare case where two appends' after-commit updates reach the cache out of order.
STAMP_SECONDS = 300

logger = logging.getLogger(__name__)

State = events.State


# --- reading and writing states ---------------------------------------------------------

# The read model's columns: a development's own fields (its topics and actors are links),
# its date's bounds, its status and the bookkeeping of its stream.
ROW_FIELDS = (
    "version",
    *(name for name in events.DEVELOPMENT_FIELDS if name not in ("topics", "actors")),
    "date_lower",
    "date_upper",
    "date_sort",
    "status",
    "corrections",
    "reschedulings",
    "status_reason",
    "first_recorded_at",
    "updated_at",
    "last_position",
)


def load_states(ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, State]:
    """The current states of these developments (those that exist)."""
    ids = list(ids)
    if connection.vendor == "postgresql":
        return _load_states_in_one_query(ids)
    states: dict[uuid.UUID, State] = {
        row["id"]: {**row, "topics": [], "actors": []}
        for row in Development.objects.filter(id__in=ids).values("id", *ROW_FIELDS)
    }
    if not states:
        return states
    links = DevelopmentTopic.objects.filter(development_id__in=states).order_by("id")
    for dev_id, slug in links.values_list("development_id", "topic__slug"):
        states[dev_id]["topics"].append(slug)
    roles = DevelopmentActor.objects.filter(development_id__in=states).order_by("order")
    for dev_id, slug, role in roles.values_list("development_id", "actor__slug", "role"):
        states[dev_id]["actors"].append({"actor": slug, "role": role})
    return states


def _load_states_in_one_query(ids: list[uuid.UUID]) -> dict[uuid.UUID, State]:
    """PostgreSQL: the rows with their links as arrays, one statement for a command."""
    links = DevelopmentTopic.objects.filter(development_id=OuterRef("id")).order_by("id")
    roles = DevelopmentActor.objects.filter(development_id=OuterRef("id")).order_by("order")
    rows = (
        Development.objects.filter(id__in=ids)
        .order_by()
        .annotate(
            _topics=ArraySubquery(links.values("topic__slug")),
            _actors=ArraySubquery(roles.values("actor__slug")),
            _roles=ArraySubquery(roles.values("role")),
        )
        .values("id", *ROW_FIELDS, "_topics", "_actors", "_roles")
    )
    states: dict[uuid.UUID, State] = {}
    for row in rows:
        topics, actors, roles_ = row.pop("_topics"), row.pop("_actors"), row.pop("_roles")
        row["topics"] = list(topics)
        row["actors"] = [{"actor": a, "role": r} for a, r in zip(actors, roles_, strict=True)]
        states[row["id"]] = row
    return states


def _search_text(state: State, actor_words: dict[str, str], topic_words: dict[str, str]) -> str:
    """The folded words a search matches: the text, the place, the actors' names and the
    topics' names with their aliases, the publications. `actor_words` and `topic_words`
    hold each one's names already folded (`_folded`, once per batch). Folding the parts
    one by one and joining them with a space gives what folding them joined gives."""
    parts = [fold(f"{state['title']}\n{state['summary']}\n{state['place']}")]
    for a in state["actors"]:
        slug = a["actor"]
        parts.append(actor_words[slug] if slug in actor_words else fold(slug))
    parts += [topic_words.get(slug, "") for slug in state["topics"]]
    parts.append(fold("\n".join(s.get("publication", "") for s in state["sources"])))
    return " ".join(p for p in parts if p)


def _folded(names: list[str]) -> str:
    return fold("\n".join(names))


def save_states(states: Iterable[State], *, replacing: Iterable[uuid.UUID] | None = None) -> None:
    """Write states to the read models: replace the rows and their links. `replacing`
    names the developments whose rows exist already (None: any may); the others are only
    inserted, which spares a rebuild a DELETE per table and batch."""
    states = list(states)
    if not states:
        return
    topic_ids = {}
    topic_words = {}
    for slug, id_, name_fr, name_en, aliases in Topic.objects.values_list(
        "slug", "id", "name_fr", "name_en", "aliases"
    ):
        topic_ids[slug] = id_
        topic_words[slug] = _folded([name_fr, name_en, *split_aliases(aliases)])
    actors = {}
    actor_words = {}
    for slug, id_, name, aliases in Actor.objects.values_list("slug", "id", "name", "aliases"):
        actors[slug] = (id_, name)
        actor_words[slug] = _folded([name, *split_aliases(aliases)])
    ids = [s["id"] for s in states] if replacing is None else list(replacing)
    rows = [
        (s["id"], *(s[f] for f in ROW_FIELDS), _search_text(s, actor_words, topic_words))
        for s in states
    ]
    # Topics or actors deleted since the event was written are skipped, not invented.
    topic_rows = [
        (s["id"], topic_ids[slug]) for s in states for slug in s["topics"] if slug in topic_ids
    ]
    role_rows = [
        (s["id"], actors[a["actor"]][0], a["role"], i)
        for s in states
        for i, a in enumerate(s["actors"])
        if a["actor"] in actors
    ]
    if connection.vendor == "postgresql":
        _copy_rows(ids, rows, topic_rows, role_rows)
    else:
        _insert_rows(ids, rows, topic_rows, role_rows)


_COLUMNS = ("id", *ROW_FIELDS, "search_text")


def _copy_rows(ids: list, rows: list, topic_rows: list, role_rows: list) -> None:
    """PostgreSQL: COPY is several times faster than multi-row INSERTs for a rebuild."""
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor  # psycopg's own cursor, for COPY
        for table, column in (
            ("timeline_developmenttopic", "development_id"),
            ("timeline_developmentactor", "development_id"),
            ("timeline_development", "id"),
        ):
            if ids:
                cursor.execute(f"DELETE FROM {table} WHERE {column} = ANY(%s)", [ids])
        sources = _COLUMNS.index("sources")
        with cursor.copy(f"COPY timeline_development ({', '.join(_COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                row = list(row)
                row[sources] = json.dumps(row[sources])
                copy.write_row(row)
        with cursor.copy(
            "COPY timeline_developmenttopic (development_id, topic_id) FROM STDIN"
        ) as copy:
            for row in topic_rows:
                copy.write_row(row)
        with cursor.copy(
            'COPY timeline_developmentactor (development_id, actor_id, role, "order") FROM STDIN'
        ) as copy:
            for row in role_rows:
                copy.write_row(row)


def _insert_rows(ids: list, rows: list, topic_rows: list, role_rows: list) -> None:
    DevelopmentTopic.objects.filter(development_id__in=ids).delete()
    DevelopmentActor.objects.filter(development_id__in=ids).delete()
    Development.objects.bulk_create(
        [Development(**dict(zip(_COLUMNS, row, strict=True))) for row in rows],
        update_conflicts=True,
        unique_fields=["id"],
        update_fields=[*ROW_FIELDS, "search_text"],
        batch_size=500,
    )
    DevelopmentTopic.objects.bulk_create(
        [DevelopmentTopic(development_id=d, topic_id=t) for d, t in topic_rows], batch_size=1000
    )
    DevelopmentActor.objects.bulk_create(
        [
            DevelopmentActor(development_id=d, actor_id=a, role=r, order=o)
            for d, a, r, o in role_rows
        ],
        batch_size=1000,
    )


# --- applying the log -------------------------------------------------------------------


def checkpoint() -> int:
    """The last position the projection has applied."""
    state = ProjectionState.objects.filter(name=NAME).first()
    return state.position if state else 0


def _set_checkpoint(position: int) -> None:
    if not ProjectionState.objects.filter(name=NAME).update(position=position):
        ProjectionState.objects.create(name=NAME, position=position)


def _apply(batch: list[Logged] | list[Event]) -> None:
    # A stream's first event starts from nothing: only the streams already under way
    # before this batch have a state (and a row) to read.
    started = {e.stream_id for e in batch if e.version == 1}
    states = load_states({e.stream_id for e in batch if e.version > 1} - started)
    existing = list(states)
    for event in batch:
        try:
            states[event.stream_id] = events.evolve(states.get(event.stream_id), event)
        except (AssertionError, LookupError, TypeError, ValueError, AttributeError) as exc:
            raise ProjectionFailed(event.position, exc) from exc
    save_states(states.values(), replacing=existing)
    _set_checkpoint(batch[-1].position)


def apply_restored(batch: list[Event]) -> None:
    """Project events the backup's restore just inserted, in its transaction (which holds
    the log lock), so a file whose events cannot be projected is never committed.
    ProjectionFailed names the first event that cannot be applied."""
    if batch:
        _apply(batch)


class Logged(NamedTuple):
    """An event as the projection reads it: a row of the log, no model instance."""

    position: int
    stream_id: uuid.UUID
    version: int
    type: str
    schema_version: int
    data: dict[str, Any]
    recorded_at: datetime.datetime


LOGGED = Logged._fields
_LOG_SELECT = (
    f"SELECT {', '.join(LOGGED)} FROM timeline_event WHERE position > %s ORDER BY position"
)


def _next_batch(after: int, size: int) -> list[Logged]:
    rows = Event.objects.filter(position__gt=after).order_by("position").values_list(*LOGGED)
    return [Logged(*row) for row in rows[:size]]


def stamp_key() -> str:
    """The cache key of the log stamp: (last position, its time) of this database's log."""
    return f"timeline:log-stamp:{settings.DATABASES['default']['NAME']}"


def _bump_stamp(event: Event) -> None:
    """Readers (feeds' conditional requests) compare the stamp before any query. It is set
    once the append commits; dropped at once, so nobody reads the old one as current
    meanwhile (a reader that misses it reads the log's head and caches that). A cache
    that is down costs the readers a query, never the append."""
    key, stamp = stamp_key(), (event.position, event.recorded_at)

    def publish() -> None:
        try:
            cache.set(key, stamp, STAMP_SECONDS)
        except Exception:  # the cache is an optimisation; the log is committed
            logger.warning("could not publish the log stamp", exc_info=True)

    drop_stamp()
    transaction.on_commit(publish)


def drop_stamp() -> None:
    """Forget the cached log stamp: its next reader takes it from the log (after a
    restore, which appends without `apply_inline`)."""
    try:
        cache.delete(stamp_key())
    except Exception:
        logger.warning("could not drop the log stamp", exc_info=True)


# The state a caller does not have (None is a real state: before a stream's first event).
UNKNOWN: Any = object()


def apply_inline(event: Event, *, position: int | None, before: State | None = UNKNOWN) -> None:
    """Bring the read models up to `event`, in the caller's transaction (which holds the
    log lock). `position` is the checkpoint the caller read with the log's head (None: no
    checkpoint row yet); `before` is the stream's state before `event` if the caller has
    it (a command loads it to validate), which saves reading it again.

    Normally that is this one event; after an interrupted rebuild it is the whole
    remainder, so an editor never sees a stale or missing development.
    """
    _bump_stamp(event)
    if (position or 0) != event.position - 1:
        _catch_up_inline(event)
        return
    if event.version == 1:
        before = None
    elif before is UNKNOWN or before is None or before["version"] != event.version - 1:
        before = load_states([event.stream_id]).get(event.stream_id)
    # The handlers change the state they are given: give them a copy.
    after = events.evolve(None if before is None else dict(before), event)
    if connection.vendor != "postgresql":
        save_states([after])
        _set_checkpoint(event.position)
        return
    _upsert_one(before, after, event.position, first=position is None)


def _catch_up_inline(event: Event) -> None:
    position = checkpoint()
    while position < event.position:
        batch = _next_batch(position, BATCH_SIZE)
        _apply(batch)
        position = batch[-1].position


def refresh_search_text(*, topic_id: int | None = None, actor_id: int | None = None) -> int:
    """Re-save the developments of a topic or an actor whose names or aliases changed, so
    their search text says the new ones (what a rebuild would write). Returns how many."""
    with transaction.atomic():
        lock_log()
        qs = Development.objects.all()
        if topic_id is not None:
            qs = qs.filter(topics__id=topic_id)
        if actor_id is not None:
            qs = qs.filter(actors__id=actor_id)
        ids = list(qs.values_list("id", flat=True).distinct())
        save_states(load_states(ids).values())
    return len(ids)


def _words_of(actors: list[str], topics: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """The folded names and aliases of these actors and topics, in one statement, for the
    search text of one development (save_states reads them all for a batch)."""
    actor_words: dict[str, str] = {}
    topic_words: dict[str, str] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 'a', slug, name, '', aliases FROM timeline_actor WHERE slug = ANY(%s) "
            "UNION ALL SELECT 't', slug, name_fr, name_en, aliases FROM timeline_topic "
            "WHERE slug = ANY(%s)",
            [actors, topics],
        )
        for kind, slug, name, other, aliases in cursor.fetchall():
            if kind == "a":
                actor_words[slug] = _folded([name, *split_aliases(aliases)])
            else:
                topic_words[slug] = _folded([name, other, *split_aliases(aliases)])
    return actor_words, topic_words


def _upsert_one(before: State | None, after: State, position: int, *, first: bool) -> None:
    """PostgreSQL, one development: its row, its links and the checkpoint in one statement
    (two when an edit reorders its topics), naming only the topics and actors it has.

    Links that stay are left alone and links that go are deleted in the same statement:
    the rows the DELETE and the INSERT touch are disjoint, so they cannot conflict. The
    search text is made by `_search_text`, as a rebuild makes it.
    """
    dev = after["id"]
    parts: list[str] = []
    params: list[Any] = []
    columns = ", ".join(_COLUMNS)
    values = ", ".join(["%s"] * len(ROW_FIELDS))
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in _COLUMNS[1:])
    parts.append(
        f"INSERT INTO timeline_development ({columns}) VALUES (%s, {values}, %s) "
        f"ON CONFLICT (id) DO UPDATE SET {updates}"
    )
    row = [after[f] for f in ROW_FIELDS]
    row[ROW_FIELDS.index("sources")] = json.dumps(after["sources"])
    slugs = [a["actor"] for a in after["actors"]]
    actor_words, topic_words = _words_of(slugs, after["topics"])
    params += [dev, *row, _search_text(after, actor_words, topic_words)]

    old_topics = before["topics"] if before else []
    old_actors = before["actors"] if before else []
    if after["topics"] != old_topics:
        kept = [t for t in old_topics if t in after["topics"]]
        added = [t for t in after["topics"] if t not in old_topics]
        if kept + added != after["topics"]:  # reordered: start the links afresh
            with connection.cursor() as cursor:
                cursor.execute(
                    "DELETE FROM timeline_developmenttopic WHERE development_id = %s", [dev]
                )
            kept, added = [], after["topics"]
        parts.append(
            "DELETE FROM timeline_developmenttopic dt USING timeline_topic t "
            "WHERE dt.development_id = %s AND t.id = dt.topic_id AND NOT t.slug = ANY(%s::text[])"
        )
        params += [dev, kept]
        parts.append(
            "INSERT INTO timeline_developmenttopic (development_id, topic_id) "
            "SELECT %s, t.id FROM unnest(%s::text[]) WITH ORDINALITY AS x(slug, ord) "
            "JOIN timeline_topic t ON t.slug = x.slug ORDER BY x.ord"
        )
        params += [dev, added]
    if after["actors"] != old_actors:
        parts.append(
            "DELETE FROM timeline_developmentactor da USING timeline_actor a "
            "WHERE da.development_id = %s AND a.id = da.actor_id AND NOT a.slug = ANY(%s::text[])"
        )
        params += [dev, slugs]
        parts.append(
            'INSERT INTO timeline_developmentactor (development_id, actor_id, role, "order") '
            "SELECT %s, a.id, x.role, x.ord - 1 FROM unnest(%s::text[], %s::text[]) "
            "WITH ORDINALITY AS x(slug, role, ord) JOIN timeline_actor a ON a.slug = x.slug "
            'ON CONFLICT (development_id, actor_id) DO UPDATE SET role = EXCLUDED.role, "order" = '
            'EXCLUDED."order"'
        )
        params += [dev, slugs, [a["role"] for a in after["actors"]]]
    if first:  # the projection's first event: its checkpoint row does not exist yet
        parts.append("INSERT INTO timeline_projectionstate (position, name) VALUES (%s, %s)")
    else:
        parts.append("UPDATE timeline_projectionstate SET position = %s WHERE name = %s")
    params += [position, NAME]
    sql = "WITH " + ", ".join(f"s{i} AS ({p})" for i, p in enumerate(parts)) + " SELECT 1"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def catch_up(*, batch_size: int = BATCH_SIZE, progress: Callable[[int], None] | None = None) -> int:
    """Apply every event after the checkpoint, one committed batch at a time.

    Each batch takes the log lock, so it interleaves safely with appends and with another
    catch-up; a process killed mid-way leaves a consistent checkpoint to resume from.
    Returns the number of events applied.
    """
    applied = 0
    while True:
        with transaction.atomic():
            lock_log()
            batch = _next_batch(checkpoint(), batch_size)
            if not batch:
                return applied
            _apply(batch)
        applied += len(batch)
        if progress:
            progress(len(batch))


def replay(*, batch_size: int = BATCH_SIZE, progress: Callable[[int], None] | None = None) -> int:
    """`catch_up` for a rebuild: the log read through a server-side cursor, as tuples.

    On PostgreSQL a second connection streams the events after the checkpoint; each batch
    is applied and committed on the usual connection under the log lock, as `catch_up`
    does, so it stays resumable and interleaves with appends (events an append projected
    meanwhile are skipped). Elsewhere, and inside a caller's transaction (whose events a
    second connection could not see), it is `catch_up`. Returns the number applied.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return catch_up(batch_size=batch_size, progress=progress)
    reader = connections.create_connection(DEFAULT_DB_ALIAS)
    applied = 0
    try:
        reader.ensure_connection()
        raw = reader.connection
        while True:
            read = 0
            with raw.transaction(), raw.cursor(name="kztrack_replay") as cursor:
                cursor.itersize = batch_size
                cursor.execute(_LOG_SELECT, [checkpoint()])
                while rows := cursor.fetchmany(batch_size):
                    read += len(rows)
                    done = _apply_rows(rows)
                    if done is None:  # the checkpoint moved under us: read again from it
                        break
                    applied += done
                    if progress and done:
                        progress(done)
            if not read:
                return applied
    finally:
        reader.close()


def _apply_rows(rows: list[tuple]) -> int | None:
    """Apply the rows that follow the checkpoint in one committed transaction; None when
    they do not follow it (another process reset or moved it)."""
    with transaction.atomic():
        lock_log()
        with connection.cursor() as cursor:
            # A batch lost in a crash is applied again on resume: the checkpoint commits
            # with it, so waiting for the disk buys nothing here.
            cursor.execute("SET LOCAL synchronous_commit = off")
        position = checkpoint()
        batch = [Logged(*_decoded(row)) for row in rows if row[0] > position]
        if not batch:
            return 0
        if batch[0].position != position + 1:
            return None
        _apply(batch)
    return len(batch)


_DATA = LOGGED.index("data")


def _decoded(row: tuple) -> tuple:
    data = row[_DATA]
    if isinstance(data, str | bytes):  # Django's connections leave jsonb undecoded
        row = (*row[:_DATA], orjson.loads(data), *row[_DATA + 1 :])
    return row


def reset(*, suspend_indexes: bool = False) -> None:
    """Empty the read models and the checkpoint, under the log lock.

    Plain SQL rather than `QuerySet.delete()`: Django's deletion collector would load every
    row first (gigabytes at a million developments). Only the log refuses TRUNCATE.

    With `suspend_indexes` (PostgreSQL, for a rebuild), the read models' secondary and
    full-text indexes are dropped too, and remembered, to be built once at the end by
    `build_suspended_indexes` (one build is much cheaper than a million row updates).
    """
    tables = [m._meta.db_table for m in (DevelopmentActor, DevelopmentTopic, Development)]
    with transaction.atomic():
        lock_log()
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # Deferred foreign-key checks pending in this transaction would block TRUNCATE.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(f"TRUNCATE {', '.join(tables)}")
                if suspend_indexes:
                    _suspend_indexes(cursor, tables)
            else:
                for table in tables:
                    cursor.execute(f"DELETE FROM {table}")
        _set_checkpoint(0)


def _suspend_indexes(cursor: Any, tables: list[str]) -> None:
    # Not the primary keys and unique constraints: they keep the read models right. The
    # foreign keys go too (checked row by row at each batch's commit, they cost ~40 % of
    # the writing backend's time): adding one back checks every row in one join.
    cursor.execute(
        "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid "
        "WHERE t.relname = ANY(%s) AND pg_table_is_visible(t.oid) AND NOT i.indisunique",
        [tables],
    )
    dropped = [
        (name, index_definition(cursor, name, definition), f'DROP INDEX "{name}"')
        for name, definition in cursor.fetchall()
    ]
    cursor.execute(
        "SELECT k.conname, t.relname, pg_get_constraintdef(k.oid) FROM pg_constraint k "
        "JOIN pg_class t ON t.oid = k.conrelid "
        "WHERE k.contype = 'f' AND t.relname = ANY(%s) AND pg_table_is_visible(t.oid)",
        [tables],
    )
    for name, table, definition in cursor.fetchall():
        alter = f'ALTER TABLE "{table}" '
        dropped.append(
            (
                name,
                f'{alter}ADD CONSTRAINT "{name}" {definition}',
                f'{alter}DROP CONSTRAINT "{name}"',
            )
        )
    for name, definition, drop in dropped:
        SuspendedIndex.objects.get_or_create(name=name, defaults={"definition": definition})
        cursor.execute(drop)


def index_definition(cursor: Any, name: str, definition: str) -> str:
    """The statements that build an index again as it is: its definition, then the
    statistics targets set on its columns (pg_get_indexdef leaves those out; the French
    full-text index has one, migration 0013), one per line."""
    cursor.execute(
        "SELECT attnum, attstattarget FROM pg_attribute "
        "WHERE attrelid = %s::regclass AND attstattarget > 0 ORDER BY attnum",
        [name],
    )
    targets = [
        f'ALTER INDEX "{name}" ALTER COLUMN {number} SET STATISTICS {target}'
        for number, target in cursor.fetchall()
    ]
    return ";\n".join([definition, *targets])


# Building an index is one backend's work (PostgreSQL builds a GIN index on one core):
# the dropped indexes are built side by side, on this many connections.
INDEX_BUILDERS = 2
# Each build sorts in memory up to this much (per connection); the trigram index of the
# search text builds ~1.4 × faster with 512 MB than with 128 MB (measured at 100,000 rows).
INDEX_BUILD_MEMORY = "512MB"


def build_suspended_indexes(progress: Callable[[str], None] | None = None) -> int:
    """Build the indexes a rebuild dropped, each committed on its own (a build killed
    part-way is done again on resume), several at once on their own connections, the
    GIN first; then add its foreign keys back, which checks every link. Returns how many
    it put back."""
    suspended = list(SuspendedIndex.objects.values_list("name", "definition"))
    if not suspended:
        return 0
    # GIN builds dwarf B-trees; a foreign key waits for its tables' index builds anyway.
    suspended.sort(key=lambda s: (_is_constraint(s[1]), " USING gin " not in s[1]))
    indexes = [s for s in suspended if not _is_constraint(s[1])]
    constraints = [s for s in suspended if _is_constraint(s[1])]
    if connection.in_atomic_block:  # a caller's transaction: its connection, one by one
        built = sum(_build(name, definition, progress) for name, definition in suspended)
        _analyze()
        return built

    def build_on_own_connection(index: tuple[str, str]) -> int:
        try:
            return _build(*index, progress)
        finally:
            connection.close()  # this thread's

    with ThreadPoolExecutor(INDEX_BUILDERS, thread_name_prefix="kztrack-index") as pool:
        built = sum(pool.map(build_on_own_connection, indexes))
    built += sum(_build(name, definition, progress) for name, definition in constraints)
    _analyze()
    return built


def _analyze() -> None:
    """Statistics for the rebuilt read models: an expression index's are lost when it is
    dropped, and without them a search for a rare word walks the date index (seconds at
    a million developments instead of milliseconds)."""
    tables = [m._meta.db_table for m in (Development, DevelopmentTopic, DevelopmentActor)]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {table}")


def _is_constraint(definition: str) -> bool:
    return definition.startswith("ALTER TABLE ")


def _build(name: str, definition: str, progress: Callable[[str], None] | None) -> int:
    if progress:
        progress(name)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL maintenance_work_mem = '{INDEX_BUILD_MEMORY}'")
        if _is_constraint(definition):
            cursor.execute(
                "SELECT NOT EXISTS (SELECT FROM pg_constraint WHERE conname = %s)", [name]
            )
        else:
            cursor.execute("SELECT to_regclass(%s) IS NULL", [name])
        missing = cursor.fetchone()[0]
        if missing:
            for statement in definition.split(";\n"):
                cursor.execute(statement)
        SuspendedIndex.objects.filter(name=name).delete()
    return int(missing)


def read_model_checksum() -> str:
    """A digest of every read-model row, to compare two builds of the projections."""
    digest = hashlib.sha256()
    for row in Development.objects.order_by("id").values_list("id", *ROW_FIELDS, "search_text"):
        digest.update(json.dumps(row, default=str, sort_keys=True).encode())
    links = DevelopmentTopic.objects.order_by("development_id", "topic__slug")
    for row in links.values_list("development_id", "topic__slug"):
        digest.update(json.dumps(row, default=str).encode())
    roles = DevelopmentActor.objects.order_by("development_id", "order")
    for row in roles.values_list("development_id", "actor__slug", "role", "order"):
        digest.update(json.dumps(row, default=str).encode())
    return digest.hexdigest()
