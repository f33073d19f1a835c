"""The event-type registry: every type complete, and a new type described everywhere by
its entry alone."""

from __future__ import annotations

import html as html_module

import feedparser
import pytest
from django.core.cache import cache

from tests.base import development_fields
from timeline import commands, events, log
from timeline.events import EventType


def _keep(state, event, data):
    return state


@pytest.mark.parametrize("name", sorted(events.REGISTRY))
def test_every_registered_type_is_complete(name):
    entry = events.REGISTRY[name]
    assert entry.name == name
    assert entry.problems() == []
    assert entry.label("fr") and entry.label("en") and entry.label("fr") != entry.action


def test_actions_name_one_type_each():
    actions = [entry.action for entry in events.REGISTRY.values()]
    assert len(actions) == len(set(actions))


@pytest.mark.parametrize(
    "broken, lacking",
    [
        ({"schema_version": 3, "upcasters": {1: dict}}, "upcasters from schema versions [2]"),
        ({"labels": {"fr": "Annoté"}}, "a label in French and in English"),
        ({"handler": None}, "a projection handler"),
    ],
)
def test_an_incomplete_entry_fails_when_it_is_registered(broken, lacking):
    entry = {
        "name": "DevelopmentNoted",
        "schema_version": 1,
        "handler": _keep,
        "action": "noted",
        "labels": {"fr": "Annoté", "en": "Noted"},
        **broken,
    }
    with pytest.raises(TypeError, match=lacking.replace("[", r"\[").replace("]", r"\]")):
        events.register(EventType(**entry))
    assert "DevelopmentNoted" not in events.REGISTRY


def test_an_unregistered_type_cannot_be_appended(world):
    development = commands.development_record(fields=development_fields(), by="alice", via="admin")
    with pytest.raises(LookupError, match="DevelopmentNoted"):
        log.append(
            stream_id=development.id,
            expected_version=1,
            type="DevelopmentNoted",
            data={},
            by="alice",
            via="admin",
        )


def _place_noted(state, event, data):
    state["place"] = data["place"]
    return state


@pytest.fixture
def noted(monkeypatch):
    """A new event type, declared only by its registry entry and its handler."""
    entry = EventType(
        name="DevelopmentPlaceNoted",
        schema_version=1,
        handler=_place_noted,
        action="place_noted",
        labels={"fr": "Lieu précisé", "en": "Place specified"},
        note_field="note",
    )
    monkeypatch.setitem(events.REGISTRY, entry.name, entry)
    return entry


def test_a_new_type_is_described_by_the_history_page_the_api_and_the_feeds(client, world, noted):
    development = commands.development_record(
        fields=development_fields(title="Visite à Aktaou", place="Kazakhstan"),
        by="alice",
        via="admin",
    )
    log.append(
        stream_id=development.id,
        expected_version=1,
        type=noted.name,
        data={"place": "Aktaou", "note": "Le port d'Aktaou, d'après le communiqué."},
        by="alice",
        via="admin",
    )
    cache.clear()

    page = client.get(f"/developments/{development.id}/", HTTP_ACCEPT_LANGUAGE="fr")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Lieu précisé" in html
    assert "Le port d&#x27;Aktaou, d&#x27;après le communiqué." in html

    history = client.get(
        f"/api/v1/developments/{development.id}/history", HTTP_ACCEPT_LANGUAGE="en"
    ).json()
    assert [(h["action"], h["label"]) for h in history] == [
        ("recorded", "Recorded"),
        ("place_noted", "Place specified"),
    ]
    assert history[1]["changes"] == [{"field": "place", "before": "Kazakhstan", "after": "Aktaou"}]

    feed = feedparser.parse(client.get("/feeds/timeline.atom").content)
    entry = next(e for e in feed.entries if e.title == "Visite à Aktaou")
    shown = html_module.unescape(entry.content[0].value)
    assert "Dernière modification : Lieu précisé — Le port d'Aktaou" in shown
