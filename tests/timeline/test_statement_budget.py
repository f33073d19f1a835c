"""Append's statement budget: a count of SQL statements, not a time, so it holds on any
machine. Each command validates, takes the log lock, reads the log's head, inserts the
event and writes the development with its links; more statements than that is a
regression (the first version took ~23 per record)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.base import development_fields
from timeline import commands, projections
from timeline.models import Development, Event

pytestmark = pytest.mark.django_db

BUDGET = 8  # statements per command, savepoints included


def statements(run) -> tuple[object, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        result = run()
    return result, [q["sql"] for q in captured.captured_queries]


def within_budget(sql: list[str]) -> None:
    listing = "\n".join(f"  {i + 1}. {s[:160]}" for i, s in enumerate(sql))
    assert len(sql) <= BUDGET, f"{len(sql)} statements (budget {BUDGET}):\n{listing}"


def test_record_correct_and_reschedule_stay_within_the_statement_budget(world):
    dev, sql = statements(
        lambda: commands.development_record(
            fields=development_fields(status="scheduled", date="2026-09"), by="alice", via="api"
        )
    )
    within_budget(sql)

    dev, sql = statements(
        lambda: commands.development_correct(
            id=dev.id,
            expected_version=1,
            changes={
                "title": "Conseil de coopération",
                "topics": ["visa-facilitation"],
                "actors": [{"actor": "kaja-kallas", "role": "haute représentante"}],
            },
            note="Mauvais sujet.",
            by="alice",
            via="api",
        )
    )
    within_budget(sql)

    dev, sql = statements(
        lambda: commands.development_reschedule(
            id=dev.id, expected_version=2, date="2026-10-05", by="alice", via="api"
        )
    )
    within_budget(sql)

    # Fewer statements, the same result: what the inline projection wrote is what a
    # replay of the log writes.
    dev = Development.objects.get(pk=dev.id)
    assert (dev.version, dev.title, dev.date) == (3, "Conseil de coopération", "2026-10-05")
    assert [t.slug for t in dev.topics.all()] == ["visa-facilitation"]
    assert [(r.actor.slug, r.role) for r in dev.roles.all()] == [
        ("kaja-kallas", "haute représentante")
    ]
    assert projections.checkpoint() == Event.objects.count() == 3
    inline = projections.read_model_checksum()
    projections.reset()
    projections.catch_up()
    assert projections.read_model_checksum() == inline


def test_a_retry_with_the_same_idempotency_key_stays_within_the_budget(world):
    fields = development_fields()
    first = commands.development_record(fields=fields, by="alice", via="api", idempotency_key="k-1")
    again, sql = statements(
        lambda: commands.development_record(
            fields=fields, by="alice", via="api", idempotency_key="k-1"
        )
    )
    within_budget(sql)
    assert again.id == first.id
    assert Event.objects.count() == 1
