"""Projections: where the read models (Development, its topic threads and actors) are kept.

The handlers that compute a development's next state are pure and live with their event
types in the registry (timeline/events.py); this module loads states, saves them, and
keeps the checkpoint (ProjectionState "developments": the last position applied). The
same code serves the inline projection in the append's transaction (`apply_inline`,
called by timeline/log.py) and the replay of `rebuild_projections`, so both give the
same state.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterable

from django.db import connection, transaction

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
    Topic,
)
from timeline.words import fold, split_aliases

NAME = "developments"
BATCH_SIZE = 2000

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


def _search_text(
    state: State, actor_words: dict[str, list[str]], topic_words: dict[str, list[str]]
) -> str:
    """The folded words a search matches: the text, the place, the actors' names and the
    topics' names with their aliases, the publications."""
    parts = [state["title"], state["summary"], state["place"]]
    for a in state["actors"]:
        parts += actor_words.get(a["actor"], [a["actor"]])
    for slug in state["topics"]:
        parts += topic_words.get(slug, [])
    parts += [s.get("publication", "") for s in state["sources"]]
    return fold("\n".join(p for p in parts if p))


def save_states(states: Iterable[State]) -> None:
    """Write states to the read models: replace the rows and their links."""
    states = list(states)
    if not states:
        return
    topic_ids = {}
    topic_words = {}
    for slug, id_, name_fr, name_en, aliases in Topic.objects.values_list(
        "slug", "id", "name_fr", "name_en", "aliases"
    ):
        topic_ids[slug] = id_
        topic_words[slug] = [name_fr, name_en, *split_aliases(aliases)]
    actors = {}
    actor_words = {}
    for slug, id_, name, aliases in Actor.objects.values_list("slug", "id", "name", "aliases"):
        actors[slug] = (id_, name)
        actor_words[slug] = [name, *split_aliases(aliases)]
    ids = [s["id"] for s in states]
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


def _apply(batch: list[Event]) -> None:
    states = load_states({e.stream_id for e in batch})
    for event in batch:
        try:
            states[event.stream_id] = events.evolve(states.get(event.stream_id), event)
        except (AssertionError, LookupError, TypeError, ValueError, AttributeError) as exc:
            raise ProjectionFailed(event.position, exc) from exc
    save_states(states.values())
    _set_checkpoint(batch[-1].position)


def apply_restored(batch: list[Event]) -> None:
    """Project events the backup's restore just inserted, in its transaction (which holds
    the log lock), so a file whose events cannot be projected is never committed.
    ProjectionFailed names the first event that cannot be applied."""
    if batch:
        _apply(batch)


def _next_batch(after: int, size: int) -> list[Event]:
    return list(Event.objects.filter(position__gt=after).order_by("position")[:size])


def apply_inline(event: Event) -> None:
    """Bring the read models up to `event`, in the caller's transaction (which holds the
    log lock). Normally that is this one event; after an interrupted rebuild it is the
    whole remainder, so an editor never sees a stale or missing development."""
    position = checkpoint()
    if position == event.position - 1:  # the usual case: just this event
        _apply([event])
        return
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


def reset() -> None:
    """Empty the read models and the checkpoint, under the log lock.

    Plain SQL rather than `QuerySet.delete()`: Django's deletion collector would load every
    row first (gigabytes at a million developments). Only the log refuses TRUNCATE.
    """
    tables = [m._meta.db_table for m in (DevelopmentActor, DevelopmentTopic, Development)]
    with transaction.atomic():
        lock_log()
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # Deferred foreign-key checks pending in this transaction would block TRUNCATE.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(f"TRUNCATE {', '.join(tables)}")
            else:
                for table in tables:
                    cursor.execute(f"DELETE FROM {table}")
        _set_checkpoint(0)


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
