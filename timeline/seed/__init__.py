"""The curated developments of the five source texts, loaded through the commands.

topics.yaml, actors.yaml and developments.yaml sit beside this file; sources/ holds the
texts every quoted passage comes from. Loading is idempotent: each development has a
stable stream id and idempotency key derived from its `key`, so a second load appends
nothing.

Loading also converges: a development already in the log whose seed entry has changed is
brought to it through the commands, never by rewriting history: a public correction with
the entry's `correction` note, or a silent fix when the entry says `silent_fix: true` (a
typo); a `took_place` entry confirms a development still scheduled. An entry that differs
from the log without saying which is refused, naming its key.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction

from timeline import projections
from timeline.commands import (
    clean_fields,
    development_confirm,
    development_correct,
    development_record,
)
from timeline.log import find_by_idempotency_key
from timeline.models import Actor, Development, SearchAlias, Topic, TopicStage
from timeline.words import fold, split_aliases

SEED_DIR = Path(__file__).resolve().parent
SOURCES_DIR = SEED_DIR / "sources"
NAMESPACE = uuid.UUID("5b1c8f0e-8a43-4d5e-9a3e-6b7a74726163")


class SeedError(Exception):
    """A seed entry the loader cannot apply (it names the entry's key)."""


@dataclass
class SeedResult:
    topics: int = 0
    actors: int = 0
    recorded: int = 0
    already_present: int = 0
    corrected: int = 0
    confirmed: int = 0


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
    groups: list[list[str]] = read("aliases.yaml")  # type: ignore[assignment]
    for group in groups:
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


def _change_key(key: str, command: str, changes: dict[str, Any]) -> str:
    """The same change of the same entry has the same idempotency key on every machine."""
    digest = hashlib.sha256(json.dumps(changes, sort_keys=True).encode()).hexdigest()[:16]
    return f"seed:{key}:{command}:{digest}"


def converge(item: dict[str, Any], result: SeedResult) -> None:
    """Bring a development already in the log to its seed entry, through the commands."""
    key = item["key"]
    id = stream_id_for(key)
    target = development_fields(item)
    state = projections.load_states([id])[id]
    wanted = clean_fields({k: v for k, v in target.items() if k != "status"}, partial=True)
    changes = {name: value for name, value in wanted.items() if state.get(name) != value}
    if changes:
        silent = bool(item.get("silent_fix"))
        note = item.get("correction") or ""
        if not silent and not note:
            raise SeedError(
                f"{key}: the entry differs from the log in {', '.join(sorted(changes))}; "
                "give it a `correction` note (public) or `silent_fix: true` (a typo)."
            )
        current = Development.objects.get(pk=id)
        development_correct(
            id=id,
            expected_version=current.version,
            changes=changes,
            note="" if silent else note,
            silent=silent,
            by="seed",
            via="seed",
            idempotency_key=_change_key(key, "correct", changes),
        )
        result.corrected += 1
    if target["status"] != state["status"]:
        if (state["status"], target["status"]) != ("scheduled", "took_place"):
            raise SeedError(
                f"{key}: status {state['status']} in the log, {target['status']} in the seed; "
                "only a scheduled development can be confirmed by the seed."
            )
        current = Development.objects.get(pk=id)
        development_confirm(
            id=id,
            expected_version=current.version,
            note=item.get("correction") or "",
            by="seed",
            via="seed",
            idempotency_key=_change_key(key, "confirm", {"status": target["status"]}),
        )
        result.confirmed += 1


def load(
    progress: Callable[[int], None] | None = None, developments: Path | None = None
) -> SeedResult:
    """Load the reference data, then record every seed development not yet in the log and
    bring those already there to their entry (see the module's docstring)."""
    result = SeedResult()
    before = _search_names()
    result.topics, result.actors = load_reference_data()
    refresh_changed_names(before)
    items = read_developments(developments)
    for item in items:
        key = f"seed:{item['key']}"
        if find_by_idempotency_key(key) is not None:
            result.already_present += 1
            converge(item, result)
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


def read_developments(path: Path | None = None) -> list[dict[str, Any]]:
    """The seed's developments, or those of another seed file (an older version)."""
    if path is None:
        return read("developments.yaml")
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f) or []
