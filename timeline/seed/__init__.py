"""The curated developments of the five source texts, loaded through the commands.

topics.yaml, actors.yaml and developments.yaml sit beside this file; sources/ holds the
texts every quoted passage comes from. Loading is idempotent: each development has a
stable stream id and idempotency key derived from its `key`, so a second load appends
nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction

from timeline import projections
from timeline.commands import development_record
from timeline.log import find_by_idempotency_key
from timeline.models import Actor, SearchAlias, Topic, TopicStage
from timeline.words import fold, split_aliases

SEED_DIR = Path(__file__).resolve().parent
SOURCES_DIR = SEED_DIR / "sources"
NAMESPACE = uuid.UUID("5b1c8f0e-8a43-4d5e-9a3e-6b7a74726163")


@dataclass
class SeedResult:
    topics: int = 0
    actors: int = 0
    recorded: int = 0
    already_present: int = 0


def read(name: str) -> list[dict[str, Any]]:
    """One of the seed files, parsed."""
    with open(SEED_DIR / name, encoding="utf-8") as f:
        return yaml.safe_load(f) or []


def stream_id_for(key: str) -> uuid.UUID:
    """The development's id, the same on every machine and every load."""
    return uuid.uuid5(NAMESPACE, f"seed:{key}")


def _search_names() -> dict[tuple[str, str], tuple[str, ...]]:
    """What each topic's and actor's developments are searched by (names and aliases)."""
    names: dict[tuple[str, str], tuple[str, ...]] = {}
    for slug, *words in Topic.objects.values_list("slug", "name_fr", "name_en", "aliases"):
        names[("topic", slug)] = tuple(words)
    for slug, *words in Actor.objects.values_list("slug", "name", "aliases"):
        names[("actor", slug)] = tuple(words)
    return names


def refresh_changed_names(before: dict[tuple[str, str], tuple[str, ...]]) -> None:
    """Developments of a topic or actor whose names or aliases the seed changed get their
    search text rewritten, as a rebuild would."""
    after = _search_names()
    for (what, slug), words in after.items():
        if (what, slug) in before and before[(what, slug)] != words:
            if what == "topic":
                projections.refresh_search_text(topic_id=Topic.objects.get(slug=slug).pk)
            else:
                projections.refresh_search_text(actor_id=Actor.objects.get(slug=slug).pk)


@transaction.atomic
def load_reference_data() -> tuple[int, int]:
    """Create or update the topics (with their stages) and the actors."""
    for position, item in enumerate(read("topics.yaml")):
        topic, _ = Topic.objects.update_or_create(
            slug=item["slug"],
            defaults={
                "name_fr": item["name_fr"],
                "name_en": item["name_en"],
                "description_fr": item.get("description_fr", ""),
                "description_en": item.get("description_en", ""),
                "aliases": "\n".join(item.get("aliases") or []),
                "position": position,
            },
        )
        for order, stage in enumerate(item.get("stages") or []):
            TopicStage.objects.update_or_create(topic=topic, stage=stage, defaults={"order": order})
    actors = read("actors.yaml")
    for item in actors:
        Actor.objects.update_or_create(
            slug=item["slug"],
            defaults={
                "name": item["name"],
                "kind": item.get("kind", "person"),
                "description_fr": item.get("description_fr", ""),
                "aliases": "\n".join(item.get("aliases") or []),
            },
        )
    load_search_aliases()
    return len(read("topics.yaml")), len(actors)


def load_search_aliases() -> None:
    """The seed's place aliases: a group is found by its first spelling, and gains the
    seed's others; editors' own groups and additions are kept."""
    existing = {fold(split_aliases(a.terms)[0]): a for a in SearchAlias.objects.all() if a.terms}
    for group in read("aliases.yaml"):
        found = existing.get(fold(group[0]))
        if found is None:
            SearchAlias.objects.create(terms="\n".join(group))
            continue
        terms = split_aliases(found.terms)
        missing = [t for t in group if t not in terms]
        if missing:
            found.terms = "\n".join([*terms, *missing])
            found.save(update_fields=["terms"])


def development_fields(item: dict[str, Any]) -> dict[str, Any]:
    """The command's fields for one seed entry."""
    return {
        "title": item["title"],
        "summary": item.get("summary", ""),
        "kind": item["kind"],
        "date": str(item["date"]),
        "date_note": item.get("date_note") or "",
        "status": item.get("status", "took_place"),
        "place": item.get("place") or "",
        "stage": item.get("stage") or "",
        "topics": item["topics"],
        "actors": item.get("actors") or [],
        "sources": [
            {k: str(v) for k, v in s.items() if k != "file" and v is not None}
            for s in item.get("sources") or []
        ],
    }


def load(progress: Callable[[int], None] | None = None) -> SeedResult:
    """Load the reference data, then record every seed development not yet in the log."""
    result = SeedResult()
    before = _search_names()
    result.topics, result.actors = load_reference_data()
    refresh_changed_names(before)
    for item in read("developments.yaml"):
        key = f"seed:{item['key']}"
        if find_by_idempotency_key(key) is not None:
            result.already_present += 1
        else:
            development_record(
                fields=development_fields(item),
                by="seed",
                via="seed",
                id=stream_id_for(item["key"]),
                idempotency_key=key,
            )
            result.recorded += 1
        if progress:
            progress(1)
    return result
