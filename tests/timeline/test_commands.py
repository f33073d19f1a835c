"""Commands: what an editor can do to a development, and what they cannot."""

import uuid

import pytest
from django.core.exceptions import ValidationError

from tests.base import development_fields, record
from timeline import commands, events
from timeline.exceptions import ConcurrencyConflict
from timeline.models import Development, Event

pytestmark = pytest.mark.django_db


def test_it_records_a_development_with_two_topics_and_its_bounds(world):
    dev = record(date="2026-03")
    assert dev.version == 1
    assert dev.date == "2026-03"
    assert str(dev.date_lower) == "2026-03-01"
    assert str(dev.date_upper) == "2026-03-31"
    assert sorted(t.slug for t in dev.topics.all()) == ["epca", "visa-facilitation"]
    assert [(r.actor.slug, r.role) for r in dev.roles.all()] == [
        ("roman-vassilenko", "vice-ministre")
    ]
    event = Event.objects.get()
    assert event.type == events.RECORDED
    assert event.metadata == {"by": "alice", "via": "admin"}
    assert event.stream_id == dev.id


def test_it_corrects_with_a_public_note(world):
    dev = record()
    dev = commands.development_correct(
        id=dev.id,
        expected_version=1,
        changes={"title": "Titre corrigé"},
        note="Le titre citait la mauvaise réunion.",
        by="alice",
        via="admin",
    )
    assert dev.title == "Titre corrigé"
    assert dev.version == 2
    assert dev.corrections == 1
    last = Event.objects.order_by("-position").first()
    assert last.data == {
        "changes": {"title": "Titre corrigé"},
        "note": "Le titre citait la mauvaise réunion.",
        "silent": False,
    }


def test_a_silent_fix_needs_no_note_and_is_not_counted_as_a_correction(world):
    dev = record(title="Réunoin")
    dev = commands.development_correct(
        id=dev.id,
        expected_version=1,
        changes={"title": "Réunion"},
        silent=True,
        by="alice",
        via="admin",
    )
    assert (dev.title, dev.corrections, dev.version) == ("Réunion", 0, 2)


def test_a_public_correction_without_a_note_is_refused(world):
    dev = record()
    with pytest.raises(ValidationError) as exc:
        commands.development_correct(
            id=dev.id,
            expected_version=1,
            changes={"title": "Autre"},
            note="  ",
            by="alice",
            via="admin",
        )
    assert "note" in exc.value.message_dict
    assert Event.objects.count() == 1


def test_a_stale_version_is_a_conflict_not_a_lost_update(world):
    dev = record()
    commands.development_correct(
        id=dev.id,
        expected_version=1,
        changes={"title": "Par Alice"},
        note="n",
        by="alice",
        via="admin",
    )
    with pytest.raises(ConcurrencyConflict) as exc:
        commands.development_correct(
            id=dev.id,
            expected_version=1,
            changes={"summary": "Par Bob"},
            note="n",
            by="bob",
            via="admin",
        )
    assert "changed by alice" in str(exc.value)
    assert "version 2" in str(exc.value)
    dev.refresh_from_db()
    assert (dev.title, dev.version) == ("Par Alice", 2)
    assert Event.objects.count() == 2


def test_reschedule_confirm_cancel_and_retract_move_the_status(world):
    dev = record(status="scheduled", date="2026-06")
    dev = commands.development_reschedule(
        id=dev.id,
        expected_version=1,
        date="2026-07-02",
        note="Reporté.",
        by="alice",
        via="admin",
    )
    assert (dev.date, dev.reschedulings, dev.status) == ("2026-07-02", 1, "scheduled")
    dev = commands.development_confirm(id=dev.id, expected_version=2, by="alice", via="admin")
    assert dev.status == "took_place"
    with pytest.raises(ValidationError) as exc:
        commands.development_cancel(
            id=dev.id, expected_version=3, reason="r", by="alice", via="admin"
        )
    assert "status" in exc.value.message_dict
    dev = commands.development_retract(
        id=dev.id, expected_version=3, reason="Source non fiable.", by="alice", via="admin"
    )
    assert (dev.status, dev.status_reason) == ("retracted", "Source non fiable.")
    with pytest.raises(ValidationError):
        commands.development_correct(
            id=dev.id,
            expected_version=4,
            changes={"title": "x"},
            note="n",
            by="alice",
            via="admin",
        )


def test_a_cancelled_development_keeps_its_reason(world):
    dev = record(status="scheduled", date="2026-09~")
    dev = commands.development_cancel(
        id=dev.id, expected_version=1, reason="Visite annulée.", by="alice", via="admin"
    )
    assert (dev.status, dev.status_reason) == ("cancelled", "Visite annulée.")


def test_a_retried_command_with_the_same_idempotency_key_is_a_no_op(world):
    first = commands.development_record(
        fields=development_fields(), by="api-bot", via="api", idempotency_key="k-1"
    )
    again = commands.development_record(
        fields=development_fields(), by="api-bot", via="api", idempotency_key="k-1"
    )
    assert again.id == first.id
    assert Event.objects.count() == 1
    corrected = commands.development_correct(
        id=first.id,
        expected_version=1,
        changes={"title": "Nouveau"},
        note="n",
        by="api-bot",
        via="api",
        idempotency_key="k-2",
    )
    retried = commands.development_correct(
        id=first.id,
        expected_version=1,
        changes={"title": "Nouveau"},
        note="n",
        by="api-bot",
        via="api",
        idempotency_key="k-2",
    )
    assert retried.version == corrected.version == 2
    assert Event.objects.count() == 2


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"title": "   "}, "title", "required"),
        ({"title": "x" * 201}, "title", "At most 200"),
        ({"title": "a\x00b"}, "title", "Control characters"),
        ({"summary": "x" * 5001}, "summary", "At most 5000"),
        ({"topics": ["epca", "no-such-topic"]}, "topics", "Unknown topic: no-such-topic"),
        ({"topics": []}, "topics", "at least one topic"),
        ({"date": "2025-13"}, "date", ""),
        ({"date": "2025-12-31/2025-01-01"}, "date", "before"),
        ({"date": "tomorrow"}, "date", ""),
        ({"kind": "party"}, "kind", "Unknown value 'party'"),
        ({"status": "retracted"}, "status", "scheduled or took place"),
        ({"actors": [{"actor": "nobody"}]}, "actors", "Unknown actor: nobody"),
        ({"stage": "celebration"}, "stage", "Unknown value"),
        ({"sources": [{"publication": "X", "url": "javascript:alert(1)"}]}, "sources", "URL"),
        ({"sources": [{"quote": "orphan"}]}, "sources", "publication or a title"),
    ],
)
def test_bad_input_names_the_field_and_appends_nothing(world, overrides, field, words):
    with pytest.raises(ValidationError) as exc:
        record(**overrides)
    assert field in exc.value.message_dict
    assert words in " ".join(exc.value.message_dict[field])
    assert Event.objects.count() == 0
    assert Development.objects.count() == 0


def test_every_missing_required_field_is_named_at_once(world):
    with pytest.raises(ValidationError) as exc:
        commands.development_record(fields={}, by="alice", via="admin")
    assert {"title", "kind", "date", "topics"} <= set(exc.value.message_dict)


def test_commands_on_an_unknown_id_say_so(world):
    with pytest.raises(commands.DevelopmentNotFound):
        commands.development_retract(
            id=uuid.uuid4(), expected_version=1, reason="r", by="alice", via="admin"
        )
    with pytest.raises(commands.DevelopmentNotFound):
        commands.development_retract(
            id="not-a-uuid", expected_version=1, reason="r", by="alice", via="admin"
        )


def test_a_correction_that_changes_nothing_is_refused(world):
    dev = record()
    with pytest.raises(ValidationError) as exc:
        commands.development_correct(
            id=dev.id,
            expected_version=1,
            changes={"title": dev.title},
            note="n",
            by="alice",
            via="admin",
        )
    assert "Nothing changed" in str(exc.value)


def test_an_idempotency_key_reused_for_a_different_change_is_refused(world):
    """An editor who resubmits an old form with new values is told, not silently ignored."""
    dev = record()
    commands.development_correct(
        id=dev.id,
        expected_version=1,
        changes={"title": "Premier"},
        note="n",
        by="alice",
        via="admin",
        idempotency_key="form-1",
    )
    with pytest.raises(ValidationError) as exc:
        commands.development_correct(
            id=dev.id,
            expected_version=1,
            changes={"title": "Second"},
            note="n",
            by="alice",
            via="admin",
            idempotency_key="form-1",
        )
    assert "idempotency_key" in exc.value.message_dict
    dev.refresh_from_db()
    assert (dev.title, dev.version) == ("Premier", 2)
