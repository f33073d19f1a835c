"""Test data for the benchmarks: the reference data, valid development payloads, and a fast
COPY of a million events into the log.

Payloads have the shape `timeline.commands.development_record` gives the log (check_payloads
runs a sample through `clean_fields` to prove it). Some RECORDED events are written at
schema version 1, so a rebuild also exercises the upcaster, and a few streams carry later
events (corrections, reschedulings, confirmations, cancellations, retractions).
"""

from __future__ import annotations

import datetime
import json
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from timeline.dates import bounds  # its fast reader covers every form the generator writes
from timeline.words import fold

KINDS = [
    "meeting",
    "visit",
    "agreement_stage",
    "referendum_election",
    "forum_summit",
    "statement",
    "trade_measure",
    "appointment",
    "other",
]
STAGES = [
    "mandate",
    "negotiation_round",
    "initialling",
    "signature",
    "provisional_application",
    "consent",
    "ratification",
    "entry_into_force",
]
PLACES = [
    "Bruxelles",
    "Astana",
    "Almaty",
    "Luxembourg",
    "Strasbourg",
    "Anvers",
    "Liège",
    "Samarcande",
    "Bakou",
    "Aktaou",
    "Genève",
    "Paris",
    "",
]
PUBLICATIONS = [
    "Le Soir",
    "La Libre Belgique",
    "L'Echo",
    "Kazinform",
    "Le Quotidien",
    "Luxemburger Wort",
    "Euractiv",
    "The Astana Times",
]
SUBJECTS = [
    "la délégation parlementaire",
    "le ministre des Affaires étrangères",
    "la Commission européenne",
    "le vice-ministre",
    "l'ambassadeur",
    "le Sénat",
    "la Chambre de commerce",
    "le Conseil de l'UE",
    "le président Tokaïev",
    "la haute représentante",
]
VERBS = [
    "rencontre",
    "reçoit",
    "signe un accord avec",
    "visite",
    "s'entretient avec",
    "annonce un projet avec",
    "ouvre des négociations avec",
    "salue",
]
OBJECTS = [
    "les investisseurs belges",
    "l'Union européenne",
    "les autorités kazakhes",
    "le Luxembourg",
    "les ports de la Caspienne",
    "les producteurs d'uranium",
    "les partenaires du Corridor du milieu",
    "les universités",
    "la presse",
    "les entreprises de l'hydrogène vert",
    "les experts des terres rares",
    "les négociateurs des visas",
]
SUMMARY_BITS = [
    "Les deux parties font le point sur l'accord de partenariat renforcé.",
    "La rencontre porte sur les matières premières critiques et les terres rares.",
    "Il est question du transport de marchandises par la route transcaspienne.",
    "Les discussions abordent la facilitation des visas pour les étudiants.",
    "Un mémorandum sur l'hydrogène vert est évoqué.",
    "La coopération parlementaire est au programme.",
    "Le référendum constitutionnel et les réformes politiques sont présentés.",
    "Les échanges commerciaux ont progressé de plusieurs pour cent.",
    "Un forum d'affaires réunit des centaines de participants.",
    "La question de l'uranium et du nucléaire civil est abordée.",
]
QUOTES = [
    "« Le Kazakhstan veut devenir un partenaire de confiance pour l'Europe », a-t-il déclaré.",
    "Selon le communiqué, les négociations reprendront à l'automne.",
    "« Nous avons des intérêts communs », a souligné la délégation.",
    "La mission a permis de rencontrer de nombreux interlocuteurs.",
]
RARE_SHARE = 0.002  # summaries naming Baïkonour: what a full-text query looks for
FOLLOW_UP_SHARE = 0.04  # streams with a second event
V1_SHARE = 0.02  # RECORDED events written at schema version 1

FIRST_DAY = datetime.date(1991, 12, 16)
LAST_DAY = datetime.date(2030, 12, 31)
TODAY = datetime.date(2026, 1, 1)


def ensure_world() -> tuple[list[str], list[str]]:
    """Load the seed's topics and actors (not its developments): (topic slugs, actor slugs)."""
    from timeline import seed
    from timeline.models import Actor, Topic

    try:
        seed.load_reference_data()
    except Exception:  # the seed is being curated; make a world of our own
        for i in range(15):
            Topic.objects.get_or_create(
                slug=f"topic-{i}",
                defaults={"name_fr": f"Thème {i}", "name_en": f"Topic {i}", "position": i},
            )
        for i in range(60):
            Actor.objects.get_or_create(slug=f"actor-{i}", defaults={"name": f"Acteur {i}"})
    topics = list(Topic.objects.order_by("position", "slug").values_list("slug", flat=True))
    actors = list(Actor.objects.order_by("slug").values_list("slug", flat=True))
    return topics, actors


class Generator:
    """Deterministic payloads: the same seed gives the same developments."""

    def __init__(self, topics: list[str], actors: list[str], seed: int = 2026):
        self.rng = random.Random(seed)
        self.topics = topics
        self.actors = actors
        self.days = (LAST_DAY - FIRST_DAY).days

    def stream_id(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def date(self) -> tuple[str, datetime.date]:
        """An EDTF date at a realistic mix of precisions, and its latest day."""
        rng = self.rng
        day = FIRST_DAY + datetime.timedelta(days=rng.randrange(self.days))
        r = rng.random()
        if r < 0.55:
            return day.isoformat(), day
        if r < 0.75:
            return f"{day:%Y-%m}", day.replace(day=28)
        if r < 0.83:
            return f"{day.year}", day.replace(month=12, day=31)
        if r < 0.88:
            season = 21 + (day.month - 1) // 3 % 4
            return f"{day.year}-{season}", day
        if r < 0.95:
            end = day + datetime.timedelta(days=rng.randrange(1, 6))
            return f"{day.isoformat()}/{end.isoformat()}", end
        return f"{day:%Y-%m}~", day.replace(day=28)

    def fields(self) -> dict[str, Any]:
        """A development as `clean_fields` returns it, plus its status."""
        rng = self.rng
        date, upper = self.date()
        kind = rng.choice(KINDS)
        topics = rng.sample(self.topics, rng.choice((1, 1, 2, 2, 3)))
        actors = [
            {"actor": slug, "role": rng.choice(["", "ministre", "député", "ambassadeur"])}
            for slug in rng.sample(self.actors, rng.choice((0, 1, 1, 2, 3)))
        ]
        sources = []
        for _ in range(rng.choice((1, 1, 2))):
            sources.append(
                {
                    "publication": rng.choice(PUBLICATIONS),
                    "title": f"{rng.choice(SUBJECTS).capitalize()} {rng.choice(VERBS)} "
                    f"{rng.choice(OBJECTS)}",
                    "author": rng.choice(["", "Marie Dupont", "Jan Peeters"]),
                    "url": f"https://example.org/articles/{rng.getrandbits(40):x}",
                    "quote": rng.choice(QUOTES),
                    "date": date.split("/")[0].rstrip("~") if len(date) == 10 else "",
                }
            )
        return {
            "title": f"{rng.choice(SUBJECTS).capitalize()} {rng.choice(VERBS)} "
            f"{rng.choice(OBJECTS)}",
            "summary": " ".join(rng.sample(SUMMARY_BITS, 2))
            + (" Le cosmodrome de Baïkonour est mentionné." if rng.random() < RARE_SHARE else ""),
            "kind": kind,
            "date": date,
            "date_note": "",
            "place": rng.choice(PLACES),
            "stage": rng.choice(STAGES) if kind == "agreement_stage" else "",
            "topics": topics,
            "actors": actors,
            "sources": sources,
            "status": "scheduled" if upper > TODAY else "took_place",
        }

    def follow_up(self, fields: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """A later event for a development in `fields` state: (type, data)."""
        rng = self.rng
        if fields["status"] == "scheduled":
            choice = rng.choice(("rescheduled", "confirmed", "cancelled", "corrected"))
        else:
            choice = rng.choice(("corrected", "corrected", "retracted"))
        if choice == "rescheduled":
            new_date, _ = self.date()
            while new_date == fields["date"]:
                new_date, _ = self.date()
            return "DevelopmentRescheduled", {
                "date": new_date,
                "previous_date": fields["date"],
                "note": "Report annoncé.",
            }
        if choice == "confirmed":
            return "DevelopmentConfirmed", {"note": ""}
        if choice == "cancelled":
            return "DevelopmentCancelled", {"reason": "Annulé par les organisateurs."}
        if choice == "retracted":
            return "DevelopmentRetracted", {"reason": "Information non confirmée."}
        return "DevelopmentCorrected", {
            "changes": {"title": fields["title"] + " (précision)"},
            "note": "Le titre est précisé.",
            "silent": False,
        }


def as_v1(fields: dict[str, Any]) -> dict[str, Any]:
    """The same development in RECORDED's schema version 1 (one topic, one source)."""
    old = {
        k: v
        for k, v in fields.items()
        if k not in ("topics", "sources", "stage", "date_note", "actors")
    }
    old["topic"] = fields["topics"][0]
    old["actors"] = [a["actor"] for a in fields["actors"]]
    old["source"] = fields["sources"][0]
    return old


def check_payloads(gen: Generator, n: int = 200) -> None:
    """Prove the generated payloads are what the command path would have logged."""
    from timeline.commands import clean_fields

    for _ in range(n):
        fields = gen.fields()
        status = fields.pop("status")
        cleaned = clean_fields(fields, partial=False)
        assert cleaned == fields, (cleaned, fields)
        fields["status"] = status


DATE_MARK, STATUS_MARK = r"\u0001", r"\u0002"  # as json.dumps writes them


@dataclass
class Entry:
    """A development's fields, pre-serialised with its date and status left blank."""

    template: str  # the event's JSON with DATE_MARK and STATUS_MARK
    schema_version: int
    title: str
    summary: str
    kind: str
    date_note: str
    place: str
    stage: str
    sources_json: str
    search_tail: str  # search_text after the title
    topic_ids: list[int]
    actor_rows: list[tuple[int, str]]


class Pool:
    """A few thousand payloads and a hundred thousand dates, combined at random: a million
    events cost microseconds each to write, yet carry tens of thousands of distinct dates
    (what a rebuild really meets)."""

    def __init__(
        self,
        gen: Generator,
        topic_ids: dict[str, int],
        actor_ids: dict[str, tuple[int, str]],
        entries: int = 4000,
        dates: int = 100_000,
    ):
        self.rng = gen.rng
        self.gen = gen
        self.v2: list[Entry] = []
        self.v1: list[Entry] = []
        from timeline.projections import _words_of

        words = _words_of(list(actor_ids), list(topic_ids))  # folded names, as it writes them
        for _ in range(entries):
            fields = gen.fields()
            self.v2.append(self._entry(fields, fields, 2, topic_ids, actor_ids, words))
            old = as_v1(fields)
            self.v1.append(self._entry(old, upcast_v1(old), 1, topic_ids, actor_ids, words))
        self.dates = []
        for _ in range(dates):
            text, _ = gen.date()
            self.dates.append((text, *bounds(text)))

    @staticmethod
    def _entry(
        data: dict[str, Any],
        fields: dict[str, Any],
        schema: int,
        topic_ids: dict[str, int],
        actor_ids: dict[str, tuple[int, str]],
        words: tuple[dict[str, str], dict[str, str]],
    ) -> Entry:
        from timeline.projections import _search_text

        template = json.dumps({**data, "date": "\x01", "status": "\x02"}, ensure_ascii=False)
        return Entry(
            template=template,
            schema_version=schema,
            title=fields["title"],
            summary=fields["summary"],
            kind=fields["kind"],
            date_note=fields["date_note"],
            place=fields["place"],
            stage=fields["stage"],
            sources_json=json.dumps(fields["sources"], ensure_ascii=False),
            # The projection's search text without the title (which varies per stream).
            search_tail=_search_text({**fields, "title": ""}, *words),
            topic_ids=[topic_ids[slug] for slug in fields["topics"]],
            actor_rows=[(actor_ids[a["actor"]][0], a["role"]) for a in fields["actors"]],
        )


class State:
    """One development as the projection would hold it (see timeline.projections.evolve)."""

    __slots__ = (
        "stream",
        "entry",
        "date",
        "lower",
        "upper",
        "status",
        "title",
        "corrections",
        "reschedulings",
        "status_reason",
        "version",
        "first_recorded_at",
        "updated_at",
        "last_position",
    )

    def __init__(self, stream: uuid.UUID, entry: Entry, date: tuple, status: str, event: tuple):
        self.stream, self.entry, self.status = stream, entry, status
        self.date, self.lower, self.upper = date
        self.title = entry.title
        self.corrections = self.reschedulings = 0
        self.status_reason = ""
        self.first_recorded_at = event[7]
        self.moved(event)

    def moved(self, event: tuple) -> None:
        self.version, self.updated_at, self.last_position = event[2], event[7], event[0]


class ReadModels:
    """The rows the projections would write for the developments being generated, so the
    bench can set up a million-row read model without waiting for a rebuild. run.py
    compares its checksum with a real rebuild's on the smallest size."""

    def __init__(self) -> None:
        self.developments: list[tuple] = []
        self.topics: list[tuple] = []
        self.actors: list[tuple] = []

    def add(self, s: State) -> None:
        e = s.entry
        search = " ".join(p for p in (fold(s.title), e.search_tail) if p)
        self.developments.append(
            (
                s.stream,
                s.version,
                s.title,
                e.summary,
                e.kind,
                s.date,
                s.lower,
                s.upper,
                s.lower,  # date_sort: the bench's dates are points and spans, never windows
                e.date_note,
                s.status,
                e.place,
                e.stage,
                e.sources_json,
                s.corrections,
                s.reschedulings,
                s.status_reason,
                search,
                s.first_recorded_at,
                s.updated_at,
                s.last_position,
            )
        )
        self.topics.extend((s.stream, topic_id) for topic_id in e.topic_ids)
        self.actors.extend(
            (s.stream, actor_id, role, order) for order, (actor_id, role) in enumerate(e.actor_rows)
        )


DEVELOPMENT_COLUMNS = (
    "id, version, title, summary, kind, date, date_lower, date_upper, date_sort, date_note, "
    "status, "
    "place, stage, sources, corrections, reschedulings, status_reason, search_text, "
    "first_recorded_at, updated_at, last_position"
)
METADATA = json.dumps({"by": "bench", "via": "import"})


def _follow_up(pool: Pool, s: State, position: int, clock: datetime.datetime) -> tuple:
    """A second event for a development, applied to its state as the projection would."""
    rng = pool.rng
    if s.status == "scheduled":
        choice = rng.choice(("rescheduled", "confirmed", "cancelled", "corrected"))
    else:
        choice = rng.choice(("corrected", "corrected", "retracted"))
    if choice == "rescheduled":
        date = rng.choice(pool.dates)
        while date[0] == s.date:
            date = rng.choice(pool.dates)
        type_, data = (
            "DevelopmentRescheduled",
            {"date": date[0], "previous_date": s.date, "note": "Report annoncé."},
        )
        s.date, s.lower, s.upper = date
        s.reschedulings += 1
    elif choice == "confirmed":
        type_, data = "DevelopmentConfirmed", {"note": ""}
        s.status = "took_place"
    elif choice == "cancelled":
        type_, data = "DevelopmentCancelled", {"reason": "Annulé par les organisateurs."}
        s.status, s.status_reason = "cancelled", data["reason"]
    elif choice == "retracted":
        type_, data = "DevelopmentRetracted", {"reason": "Information non confirmée."}
        s.status, s.status_reason = "retracted", data["reason"]
    else:
        title = s.title + " (précision)"
        type_, data = (
            "DevelopmentCorrected",
            {"changes": {"title": title}, "note": "Le titre est précisé.", "silent": False},
        )
        s.title = title
        s.corrections += 1
    event = (
        position,
        s.stream,
        s.version + 1,
        type_,
        1,
        json.dumps(data, ensure_ascii=False),
        METADATA,
        clock,
    )
    s.moved(event)
    return event


def events(
    pool: Pool,
    count: int,
    first_position: int,
    start: datetime.datetime,
    models: ReadModels,
    pending: list[State],
    last_chunk: bool,
) -> Iterator[tuple]:
    """`count` log rows from `first_position` on, as COPY tuples (JSON as text); the read
    model rows they project to are collected in `models`. `pending` holds the streams that
    may still get a follow-up event, across chunks."""
    rng = pool.rng
    clock = start
    today = TODAY
    for position in range(first_position, first_position + count):
        clock += datetime.timedelta(milliseconds=rng.randrange(1, 2000))
        if pending and rng.random() < FOLLOW_UP_SHARE * 1.04:
            state = pending.pop(rng.randrange(len(pending)))
            yield _follow_up(pool, state, position, clock)
            models.add(state)
            continue
        entry = rng.choice(pool.v1 if rng.random() < V1_SHARE else pool.v2)
        date = rng.choice(pool.dates)
        status = "scheduled" if date[2] > today else "took_place"
        data = entry.template.replace(DATE_MARK, date[0]).replace(STATUS_MARK, status)
        stream = uuid.UUID(int=rng.getrandbits(128), version=4)
        event = (
            position,
            stream,
            1,
            "DevelopmentRecorded",
            entry.schema_version,
            data,
            METADATA,
            clock,
        )
        yield event
        state = State(stream, entry, date, status, event)
        if len(pending) < 1000:
            pending.append(state)
        else:
            models.add(state)
    if last_chunk:
        for state in pending:
            models.add(state)
        pending.clear()


def upcast_v1(old: dict[str, Any]) -> dict[str, Any]:
    """What the v1→v2 upcaster makes of an `as_v1` payload."""
    new = {k: v for k, v in old.items() if k not in ("topic", "source")}
    new["topics"] = [old["topic"]]
    new["actors"] = [{"actor": a, "role": ""} for a in old["actors"]]
    new["sources"] = [old["source"]]
    new["stage"] = ""
    new["date_note"] = ""
    return new


CHUNK = 50_000
COLUMNS = "position, stream_id, version, type, schema_version, data, metadata, recorded_at"


def _copy_events(conn, rows: list[tuple]) -> None:
    with conn.cursor() as cur, cur.copy(f"COPY timeline_event ({COLUMNS}) FROM STDIN") as copy:
        for values in rows:
            copy.write_row(values)


def _copy_read_models(
    conn, developments: list[tuple], topics: list[tuple], actors: list[tuple]
) -> None:
    with conn.cursor() as cur:
        with cur.copy(f"COPY timeline_development ({DEVELOPMENT_COLUMNS}) FROM STDIN") as c:
            for values in developments:
                c.write_row(values)
        with cur.copy("COPY timeline_developmenttopic (development_id, topic_id) FROM STDIN") as c:
            for values in topics:
                c.write_row(values)
        with cur.copy(
            'COPY timeline_developmentactor (development_id, actor_id, role, "order") FROM STDIN'
        ) as c:
            for values in actors:
                c.write_row(values)


BULK_TABLES = (
    "timeline_event",
    "timeline_development",
    "timeline_developmenttopic",
    "timeline_developmentactor",
)


def _secondary_indexes(conn) -> list[tuple[str, str]]:
    """(name, statements) of the indexes on BULK_TABLES that back no constraint: each
    one's definition with its columns' statistics targets (as a rebuild keeps them)."""
    from timeline.projections import index_definition

    rows = conn.execute(
        "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
        "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
        "WHERE t.relname = ANY(%s) AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
        [list(BULK_TABLES)],
    ).fetchall()
    with conn.cursor() as cursor:
        return [(name, index_definition(cursor, name, definition)) for name, definition in rows]


def _run_sql(url: str, statements: list[str]) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '512MB'")
        for statement in statements:
            for part in statement.split(";\n"):  # an index's definition, then its targets
                conn.execute(part)


def grow_log(
    database_url: str, gen: Generator, count: int, progress: Callable[[int], None] | None = None
) -> int:
    """Append `count` valid events to the log with COPY, and their developments to the read
    models, leaving the projection's checkpoint at the end of the log (untimed set-up).

    The log must be fully projected before (it is after a rebuild or an earlier grow_log).
    Inserts are all the log's triggers allow, and all this does to the log. The events and
    the read models go through two connections at once (two cores for PostgreSQL) while
    this thread makes the next chunk. Returns the last position.
    """
    from concurrent.futures import ThreadPoolExecutor

    import psycopg

    url = database_url
    with psycopg.connect(url, autocommit=True) as admin:
        last = admin.execute("SELECT coalesce(max(position), 0) FROM timeline_event").fetchone()[0]
        start = admin.execute(
            "SELECT coalesce(max(recorded_at), '2020-01-01'::timestamptz) FROM timeline_event"
        ).fetchone()[0]
        topic_ids = dict(admin.execute("SELECT slug, id FROM timeline_topic").fetchall())
        actor_ids = {
            slug: (id_, name)
            for slug, id_, name in admin.execute(
                "SELECT slug, id, name FROM timeline_actor"
            ).fetchall()
        }
        # Building an index once after a big COPY is much faster than updating it row by
        # row (the French full-text GIN index above all); small top-ups keep them.
        indexes = _secondary_indexes(admin) if count >= 50_000 else []
        for name, _ in indexes:
            admin.execute(f'DROP INDEX "{name}"')
    pool = Pool(gen, topic_ids, actor_ids, dates=min(100_000, max(1000, count // 10)))
    models = ReadModels()
    pending: list[State] = []
    clock = start
    with (
        ThreadPoolExecutor(2) as threads,
        psycopg.connect(url) as log_conn,
        psycopg.connect(url) as models_conn,
    ):
        for conn in (log_conn, models_conn):
            conn.execute("SET synchronous_commit = off")
        running: list = []
        for first in range(0, count, CHUNK):
            size = min(CHUNK, count - first)
            rows = list(
                events(
                    pool,
                    size,
                    last + 1 + first,
                    clock,
                    models,
                    pending,
                    last_chunk=first + size == count,
                )
            )
            clock = rows[-1][7]
            chunk = (models.developments, models.topics, models.actors)
            models.developments, models.topics, models.actors = [], [], []
            for future in running:
                future.result()
            running = [
                threads.submit(_copy_events, log_conn, rows),
                threads.submit(_copy_read_models, models_conn, *chunk),
            ]
            if progress:
                progress(size)
        for future in running:
            future.result()
    # The GIN index takes longest: build it beside the others.
    gin = [d for _, d in indexes if "USING gin" in d]
    rest = [d for _, d in indexes if "USING gin" not in d]
    with ThreadPoolExecutor(2) as threads:
        for future in [threads.submit(_run_sql, url, gin), threads.submit(_run_sql, url, rest)]:
            future.result()
    _run_sql(
        url,
        [
            "INSERT INTO timeline_projectionstate (name, position) VALUES ('developments', "
            f"{last + count}) ON CONFLICT (name) DO UPDATE SET position = excluded.position",
            *(f"ANALYZE {table}" for table in BULK_TABLES),
        ],
    )
    return last + count
