"""Projections: inline with the append, replayable, and the same state either way."""

import uuid

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from tests.base import development_fields
from timeline import commands, events, log, projections
from timeline.db import lock_log
from timeline.models import Development, Event

pytestmark = pytest.mark.django_db


def busy_history():
    """A few developments that went through every command."""
    a = commands.development_record(fields=development_fields(), by="alice", via="admin")
    b = commands.development_record(
        fields=development_fields(status="scheduled", date="2026-09", title="Sommet"),
        by="alice",
        via="admin",
    )
    c = commands.development_record(
        fields=development_fields(date="2015", topics=["epca"], actors=[]),
        by="bob",
        via="api",
    )
    commands.development_correct(
        id=a.id,
        expected_version=1,
        changes={
            "title": "Conseil de coopération",
            "topics": ["visa-facilitation"],
            "actors": [{"actor": "kaja-kallas", "role": "haute représentante"}],
        },
        note="Mauvais sujet.",
        by="alice",
        via="admin",
    )
    commands.development_reschedule(
        id=b.id,
        expected_version=1,
        date="2026-10-05/2026-10-06",
        note="Reporté",
        by="alice",
        via="admin",
    )
    commands.development_confirm(id=b.id, expected_version=2, by="alice", via="admin")
    commands.development_retract(
        id=c.id, expected_version=1, reason="Doublon.", by="alice", via="admin"
    )
    return a, b, c


def test_the_read_model_is_up_to_date_as_soon_as_the_command_returns(world):
    a, b, c = busy_history()
    a.refresh_from_db()
    assert a.title == "Conseil de coopération"
    assert [t.slug for t in a.topics.all()] == ["visa-facilitation"]
    assert [(r.actor.slug, r.role) for r in a.roles.all()] == [
        ("kaja-kallas", "haute représentante")
    ]
    assert projections.checkpoint() == Event.objects.count() == 7


def test_rebuild_reproduces_exactly_the_same_state(world, capsys):
    busy_history()
    before = projections.read_model_checksum()
    call_command("rebuild_projections", verbosity=1)
    assert projections.read_model_checksum() == before
    assert Development.objects.count() == 3
    assert "7 events applied" in capsys.readouterr().out


def test_an_interrupted_rebuild_resumes_to_the_same_state(world):
    busy_history()
    before = projections.read_model_checksum()
    projections.reset()

    class Killed(Exception):
        pass

    def die_after_first_batch(n):
        raise Killed

    with pytest.raises(Killed):
        projections.catch_up(batch_size=3, progress=die_after_first_batch)
    assert projections.checkpoint() == 3
    assert projections.read_model_checksum() != before
    call_command("rebuild_projections", resume=True, verbosity=0)
    assert projections.read_model_checksum() == before


def test_an_append_after_an_interrupted_rebuild_catches_the_projection_up(world):
    a, _, _ = busy_history()
    projections.reset()
    dev = commands.development_record(
        fields=development_fields(title="Neuf"), by="alice", via="admin"
    )
    assert dev.title == "Neuf"
    assert Development.objects.count() == 4
    assert projections.checkpoint() == Event.objects.count()


def test_old_payloads_are_upcast_on_read_never_rewritten(world):
    """A v1 DevelopmentRecorded had one topic, bare actor slugs and one source."""
    stream = uuid.uuid4()
    v1 = {
        "title": "Ancien format",
        "summary": "",
        "kind": "meeting",
        "date": "2019-05",
        "status": "took_place",
        "place": "Astana",
        "topic": "epca",
        "actors": ["roman-vassilenko"],
        "source": {"publication": "Kazinform", "quote": "Citation."},
    }
    # An event written by an older version of kztrack, put back as a backup restores it.
    with transaction.atomic():
        lock_log()
        log.restore(
            position=Event.objects.count() + 1,
            stream_id=stream,
            version=1,
            type=events.RECORDED,
            schema_version=1,
            data=v1,
            metadata={"by": "legacy", "via": "import"},
            recorded_at=timezone.now(),
        )
    call_command("rebuild_projections", verbosity=0)
    dev = Development.objects.get(pk=stream)
    assert [t.slug for t in dev.topics.all()] == ["epca"]
    assert [(r.actor.slug, r.role) for r in dev.roles.all()] == [("roman-vassilenko", "")]
    assert dev.sources == [{"publication": "Kazinform", "quote": "Citation."}]
    stored = Event.objects.get(stream_id=stream)
    assert (stored.schema_version, stored.data) == (1, v1)
    # A later command on the upcast stream works as on any other.
    dev = commands.development_correct(
        id=stream,
        expected_version=1,
        changes={"topics": ["epca", "visa-facilitation"]},
        note="Ajout du sujet visas.",
        by="alice",
        via="admin",
    )
    assert sorted(t.slug for t in dev.topics.all()) == ["epca", "visa-facilitation"]
