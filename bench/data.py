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
from typing import Any

KINDS = ["meeting", "visit", "agreement_stage", "referendum_election", "forum_summit",
         "statement", "trade_measure", "appointment", "other"]
STAGES = ["mandate", "negotiation_round", "initialling", "signature", "provisional_application",
          "consent", "ratification", "entry_into_force"]
PLACES = ["Bruxelles", "Astana", "Almaty", "Luxembourg", "Strasbourg", "Anvers", "Liège",
          "Samarcande", "Bakou", "Aktaou", "Genève", "Paris", ""]
PUBLICATIONS = ["Le Soir", "La Libre Belgique", "L'Echo", "Kazinform", "Le Quotidien",
                "Luxemburger Wort", "Euractiv", "The Astana Times"]
SUBJECTS = ["la délégation parlementaire", "le ministre des Affaires étrangères",
            "la Commission européenne", "le vice-ministre", "l'ambassadeur", "le Sénat",
            "la Chambre de commerce", "le Conseil de l'UE", "le président Tokaïev",
            "la haute représentante"]
VERBS = ["rencontre", "reçoit", "signe un accord avec", "visite", "s'entretient avec",
         "annonce un projet avec", "ouvre des négociations avec", "salue"]
OBJECTS = ["les investisseurs belges", "l'Union européenne", "les autorités kazakhes",
           "le Luxembourg", "les ports de la Caspienne", "les producteurs d'uranium",
           "les partenaires du Corridor du milieu", "les universités", "la presse",
           "les entreprises de l'hydrogène vert", "les experts des terres rares",
           "les négociateurs des visas"]
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
    except Exception:  # noqa: BLE001 - the seed is being curated; make a world of our own
        for i in range(15):
            Topic.objects.get_or_create(slug=f"topic-{i}", defaults={
                "name_fr": f"Thème {i}", "name_en": f"Topic {i}", "position": i})
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
            sources.append({
                "publication": rng.choice(PUBLICATIONS),
                "title": f"{rng.choice(SUBJECTS).capitalize()} {rng.choice(VERBS)} "
                         f"{rng.choice(OBJECTS)}",
                "author": rng.choice(["", "Marie Dupont", "Jan Peeters"]),
                "url": f"https://example.org/articles/{rng.getrandbits(40):x}",
                "quote": rng.choice(QUOTES),
                "date": date.split("/")[0].rstrip("~") if len(date) == 10 else "",
            })
        return {
            "title": f"{rng.choice(SUBJECTS).capitalize()} {rng.choice(VERBS)} "
                     f"{rng.choice(OBJECTS)}",
            "summary": " ".join(rng.sample(SUMMARY_BITS, 2)),
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
                "date": new_date, "previous_date": fields["date"], "note": "Report annoncé."}
        if choice == "confirmed":
            return "DevelopmentConfirmed", {"note": ""}
        if choice == "cancelled":
            return "DevelopmentCancelled", {"reason": "Annulé par les organisateurs."}
        if choice == "retracted":
            return "DevelopmentRetracted", {"reason": "Information non confirmée."}
        return "DevelopmentCorrected", {
            "changes": {"title": fields["title"] + " (précision)"},
            "note": "Le titre est précisé.", "silent": False}


def as_v1(fields: dict[str, Any]) -> dict[str, Any]:
    """The same development in RECORDED's schema version 1 (one topic, one source)."""
    old = {k: v for k, v in fields.items() if k not in ("topics", "sources", "stage",
                                                        "date_note", "actors")}
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


def bounds(text: str) -> tuple[datetime.date, datetime.date]:
    """Strict (lower, upper) of the EDTF forms `Generator.date` writes, as timeline.dates
    computes them (check_bounds proves it on a sample)."""
    if "/" in text:
        start, end = text.split("/")
        return bounds(start)[0], bounds(end)[1]
    text = text.rstrip("~?%")
    parts = [int(p) for p in text.split("-")]
    if len(parts) == 3:
        day = datetime.date(*parts)
        return day, day
    if len(parts) == 1:
        return datetime.date(parts[0], 1, 1), datetime.date(parts[0], 12, 31)
    year, month = parts
    first, last = {21: (3, 5), 22: (6, 8), 23: (9, 11), 24: (12, 14)}.get(month, (month, month))
    return _first_day(year, first), _first_day(year, last + 1) - datetime.timedelta(days=1)


def _first_day(year: int, month: int) -> datetime.date:
    return datetime.date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def check_bounds(gen: Generator, n: int = 200) -> None:
    from timeline import dates

    for _ in range(n):
        text, _ = gen.date()
        parsed = dates.parse(text)
        assert (parsed.text, parsed.lower, parsed.upper) == (text, *bounds(text)), text


class ReadModels:
    """The rows the projections would write for the developments being generated.

    It replays each event with the projection's rules (timeline.projections: recorded,
    corrected, rescheduled, confirmed, cancelled, retracted; v1 payloads upcast), so the
    bench can set up a million-row read model without waiting for a rebuild. run.py
    compares its checksum with a real rebuild's on the smallest size.
    """

    def __init__(self, topic_ids: dict[str, int], actor_ids: dict[str, tuple[int, str]]):
        self.topic_ids = topic_ids
        self.actor_ids = actor_ids
        self.developments: list[tuple] = []
        self.topics: list[tuple] = []
        self.actors: list[tuple] = []

    @staticmethod
    def start(fields: dict[str, Any], event: tuple) -> dict[str, Any]:
        state = dict(fields)
        state.update(corrections=0, reschedulings=0, status_reason="",
                     first_recorded_at=event[7])
        return ReadModels.after(state, event)

    @staticmethod
    def after(state: dict[str, Any], event: tuple) -> dict[str, Any]:
        state.update(version=event[2], updated_at=event[7], last_position=event[0])
        return state

    @staticmethod
    def apply(state: dict[str, Any], type_: str, data: dict[str, Any],
              event: tuple) -> dict[str, Any]:
        if type_ == "DevelopmentCorrected":
            state.update(data["changes"])
            state["corrections"] += 0 if data["silent"] else 1
        elif type_ == "DevelopmentRescheduled":
            state["date"] = data["date"]
            state["reschedulings"] += 1
        elif type_ == "DevelopmentConfirmed":
            state["status"] = "took_place"
        else:
            state["status"] = "cancelled" if type_ == "DevelopmentCancelled" else "retracted"
            state["status_reason"] = data["reason"]
        return ReadModels.after(state, event)

    def add(self, stream: uuid.UUID, state: dict[str, Any]) -> None:
        lower, upper = bounds(state["date"])
        names = [self.actor_ids[a["actor"]][1] for a in state["actors"]]
        search = [state["title"], state["summary"], state["place"], *names,
                  *(s.get("publication", "") for s in state["sources"])]
        self.developments.append((
            stream, state["version"], state["title"], state["summary"], state["kind"],
            state["date"], lower, upper, state["date_note"], state["status"], state["place"],
            state["stage"], json.dumps(state["sources"], ensure_ascii=False),
            state["corrections"], state["reschedulings"], state["status_reason"],
            "\n".join(p for p in search if p), state["first_recorded_at"],
            state["updated_at"], state["last_position"],
        ))
        for slug in state["topics"]:
            self.topics.append((stream, self.topic_ids[slug]))
        for order, actor in enumerate(state["actors"]):
            self.actors.append((stream, self.actor_ids[actor["actor"]][0], actor["role"], order))


DEVELOPMENT_COLUMNS = (
    "id, version, title, summary, kind, date, date_lower, date_upper, date_note, status, "
    "place, stage, sources, corrections, reschedulings, status_reason, search_text, "
    "first_recorded_at, updated_at, last_position"
)


def events(gen: Generator, count: int, first_position: int, start: datetime.datetime,
           models: ReadModels, pending: list[tuple[uuid.UUID, dict[str, Any]]],
           last_chunk: bool) -> Iterator[tuple]:
    """`count` log rows from `first_position` on, as COPY tuples (JSON as text); the read
    model rows they project to are collected in `models`. `pending` holds the streams that
    may still get a follow-up event, across chunks."""
    position = first_position
    clock = start
    metadata = json.dumps({"by": "bench", "via": "import"})
    end = first_position + count
    while position < end:
        clock += datetime.timedelta(milliseconds=gen.rng.randrange(1, 2000))
        if pending and gen.rng.random() < FOLLOW_UP_SHARE * 1.04:
            stream, state = pending.pop(gen.rng.randrange(len(pending)))
            type_, data = gen.follow_up(state)
            event = (position, stream, 2, type_, 1, json.dumps(data, ensure_ascii=False),
                     metadata, clock)
            models.add(stream, models.apply(state, type_, data, event))
        else:
            stream = gen.stream_id()
            fields = gen.fields()
            if gen.rng.random() < V1_SHARE:
                data, schema = as_v1(fields), 1
                fields = upcast_v1(data)
            else:
                data, schema = fields, 2
            event = (position, stream, 1, "DevelopmentRecorded", schema,
                     json.dumps(data, ensure_ascii=False), metadata, clock)
            state = models.start(fields, event)
            if len(pending) < 1000:
                pending.append((stream, state))
            else:
                models.add(stream, state)
        yield event
        position += 1
    if last_chunk:
        for stream, state in pending:
            models.add(stream, state)
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


def _copy_read_models(cur, models: ReadModels) -> None:
    with cur.copy(f"COPY timeline_development ({DEVELOPMENT_COLUMNS}) FROM STDIN") as c:
        for values in models.developments:
            c.write_row(values)
    with cur.copy("COPY timeline_developmenttopic (development_id, topic_id) FROM STDIN") as c:
        for values in models.topics:
            c.write_row(values)
    with cur.copy('COPY timeline_developmentactor (development_id, actor_id, role, "order") '
                  "FROM STDIN") as c:
        for values in models.actors:
            c.write_row(values)
    models.developments.clear()
    models.topics.clear()
    models.actors.clear()


def grow_log(database_url: str, gen: Generator, count: int,
             progress: Callable[[int], None] | None = None) -> int:
    """Append `count` valid events to the log with COPY, and their developments to the read
    models, leaving the projection's checkpoint at the end of the log (untimed set-up).

    The log must be fully projected before (it is after a rebuild or an earlier grow_log).
    Inserts are all the log's triggers allow, and all this does to the log.
    Returns the last position.
    """
    import psycopg

    with psycopg.connect(database_url) as conn:
        last = conn.execute("SELECT coalesce(max(position), 0) FROM timeline_event").fetchone()[0]
        start = conn.execute(
            "SELECT coalesce(max(recorded_at), '2020-01-01'::timestamptz) FROM timeline_event"
        ).fetchone()[0]
        topic_ids = dict(conn.execute("SELECT slug, id FROM timeline_topic").fetchall())
        actor_ids = {slug: (id_, name) for slug, id_, name in
                     conn.execute("SELECT slug, id, name FROM timeline_actor").fetchall()}
        models = ReadModels(topic_ids, actor_ids)
        pending: list[tuple[uuid.UUID, dict[str, Any]]] = []
        clock = start
        with conn.cursor() as cur:
            # In chunks, so a million developments never sit in memory at once.
            for first in range(0, count, CHUNK):
                size = min(CHUNK, count - first)
                chunk = events(gen, size, last + 1 + first, clock, models, pending,
                               last_chunk=first + size == count)
                with cur.copy(f"COPY timeline_event ({COLUMNS}) FROM STDIN") as copy:
                    for values in chunk:
                        copy.write_row(values)
                        clock = values[7]
                _copy_read_models(cur, models)
                if progress:
                    progress(size)
            cur.execute(
                "INSERT INTO timeline_projectionstate (name, position) VALUES ('developments', %s)"
                " ON CONFLICT (name) DO UPDATE SET position = excluded.position",
                [last + count],
            )
        for table in ("timeline_event", "timeline_development", "timeline_developmenttopic",
                      "timeline_developmentactor"):
            conn.execute(f"ANALYZE {table}")
    return last + count
