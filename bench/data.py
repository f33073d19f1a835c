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


def events(gen: Generator, count: int, first_position: int,
           start: datetime.datetime) -> Iterator[tuple]:
    """`count` log rows from `first_position` on, as COPY tuples (JSON as text)."""
    position = first_position
    clock = start
    pending: list[tuple[uuid.UUID, dict[str, Any]]] = []
    metadata = json.dumps({"by": "bench", "via": "import"})
    end = first_position + count
    while position < end:
        clock += datetime.timedelta(milliseconds=gen.rng.randrange(1, 2000))
        if pending and gen.rng.random() < FOLLOW_UP_SHARE * 1.04:
            stream, fields = pending.pop(gen.rng.randrange(len(pending)))
            type_, data = gen.follow_up(fields)
            yield (position, stream, 2, type_, 1, json.dumps(data, ensure_ascii=False),
                   metadata, clock)
        else:
            stream = gen.stream_id()
            fields = gen.fields()
            if gen.rng.random() < V1_SHARE:
                data, schema = as_v1(fields), 1
            else:
                data, schema = fields, 2
            if len(pending) < 1000:
                pending.append((stream, fields))
            yield (position, stream, 1, "DevelopmentRecorded", schema,
                   json.dumps(data, ensure_ascii=False), metadata, clock)
        position += 1


COLUMNS = "position, stream_id, version, type, schema_version, data, metadata, recorded_at"


def copy_events(database_url: str, gen: Generator, count: int,
                progress: Callable[[int], None] | None = None) -> int:
    """Append `count` valid events to the log with COPY (untimed set-up). Returns the last
    position. Inserts are all the log's triggers allow, and all this does."""
    import psycopg

    with psycopg.connect(database_url) as conn:
        last = conn.execute("SELECT coalesce(max(position), 0) FROM timeline_event").fetchone()[0]
        start = conn.execute(
            "SELECT coalesce(max(recorded_at), '2020-01-01'::timestamptz) FROM timeline_event"
        ).fetchone()[0]
        with conn.cursor() as cur, cur.copy(f"COPY timeline_event ({COLUMNS}) FROM STDIN") as copy:
            for i, values in enumerate(events(gen, count, last + 1, start), 1):
                copy.write_row(values)
                if progress and i % 10_000 == 0:
                    progress(10_000)
        if progress:
            progress(count % 10_000)
        conn.execute("ANALYZE timeline_event")
    return last + count
