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

from timeline.commands import development_record
from timeline.log import find_by_idempotency_key
from timeline.models import Actor, Topic, TopicStage

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
            },
        )
    return len(read("topics.yaml")), len(actors)


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
    result.topics, result.actors = load_reference_data()
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
