"""What a timeline page costs and what it says: a fixed, small number of SQL statements
whatever its size (the links come with the page, not one query per development), and the
same bytes as the schema-validated path, for a page that has every kind of field.

The page is serialized without validating again what the read models guarantee; these
tests are what holds it to the documented schema (TimelineOut)."""

import json

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from tests.base import record
from timeline import commands, selectors
from timeline.api import _dump
from timeline.schemas import TimelineOut, development_out

pytestmark = pytest.mark.django_db

# The page itself on PostgreSQL (its links as arrays); SQLite adds the two prefetches.
PAGE_STATEMENTS = 1 if connection.vendor == "postgresql" else 3


@pytest.fixture
def every_kind_of_field(world):
    """Points, spans and windows; one, two or no topics; zero, one or two actors with and
    without a role; sources; corrections and reschedulings; every shown status."""
    many = [
        {"actor": "kaja-kallas", "role": "haute représentante"},
        {"actor": "roman-vassilenko", "role": ""},
    ]
    record(title="Un jour", date="2015-12-21", topics=["epca"], actors=[])
    record(title="Une période", date="2023-05-16/2023-05-20", actors=many)
    record(title="Une fenêtre", date="[2023-05-16..2023-05-20]", sources=[])
    record(title="Avant un jour", date="[..2025-11-24]", topics=["visa-facilitation"])
    record(title="Vers", date="2019~", summary='Guillemets "doubles" et <balises> & é ü 🇰🇿')
    record(title="Passée", date="2020-01", status="scheduled")  # awaiting confirmation
    corrected = record(title="Corrigée", date="2024-03", status="scheduled")
    commands.development_correct(
        id=corrected.id,
        expected_version=1,
        changes={"place": "Astana", "actors": many},
        note="Mauvais lieu.",
        by="bob",
        via="admin",
    )
    commands.development_reschedule(
        id=corrected.id, expected_version=2, date="2099-05", note="Reportée.", by="bob", via="api"
    )
    cancelled = record(title="Annulée", date="2030-02", status="scheduled")
    commands.development_cancel(
        id=cancelled.id, expected_version=1, reason="Reportée sine die.", by="bob", via="admin"
    )
    retracted = record(title="Retirée", date="2018")
    commands.development_retract(
        id=retracted.id, expected_version=1, reason="Jamais eue lieu.", by="bob", via="admin"
    )


def statements(client, path: str) -> tuple[bytes, list[str]]:
    client.get(path)  # the log stamp is cached by the first read
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return response.content, [q["sql"] for q in captured.captured_queries]


def test_a_page_costs_the_same_statements_whatever_its_size(client, every_kind_of_field):
    for path in ("/api/v1/timeline?limit={}", "/api/v1/timeline?topic=epca&limit={}"):
        small_body, small = statements(client, path.format(2))
        large_body, large = statements(client, path.format(50))
        assert len(json.loads(small_body)["items"]) == 2
        assert len(json.loads(large_body)["items"]) > 2
        assert len(large) == len(small), "\n".join(large)
    # The topic filter adds the topic's lookup, nothing per development.
    assert len(statements(client, "/api/v1/timeline")[1]) == PAGE_STATEMENTS
    assert len(statements(client, "/api/v1/timeline?topic=epca")[1]) == PAGE_STATEMENTS + 1


@pytest.mark.parametrize("query", ["", "limit=4", "topic=visa-facilitation", "q=vers"])
def test_a_page_is_the_bytes_the_schema_validated_path_gives(client, every_kind_of_field, query):
    response = client.get(f"/api/v1/timeline?{query}")
    assert response.status_code == 200
    body = json.loads(response.content)
    assert body["items"], "the page must show something to compare"

    # The documented schema, validated and dumped again, gives the same bytes.
    assert _dump(TimelineOut, body) == response.content

    # And so does the path that fetched the links as objects and validated every item.
    params = dict(p.split("=") for p in query.split("&") if p)
    limit = int(params.pop("limit", 50))
    page = selectors.timeline_page(filters=selectors.timeline_filters(**params), limit=limit)
    request = RequestFactory().get("/api/v1/timeline")
    validated = {
        "items": [development_out(request, d) for d in page.items],
        "next_cursor": page.next_cursor,
        "next": body["next"],
    }
    assert _dump(TimelineOut, validated) == response.content


def test_the_links_come_in_their_order(client, every_kind_of_field):
    items = {i["title"]: i for i in client.get("/api/v1/timeline").json()["items"]}
    assert items["Une période"]["topics"] == ["epca", "visa-facilitation"]
    assert items["Une période"]["actors"] == [
        {"actor": "kaja-kallas", "name": "Kaja Kallas", "role": "haute représentante"},
        {"actor": "roman-vassilenko", "name": "Roman Vassilenko", "role": ""},
    ]
    assert items["Un jour"]["actors"] == []
    assert items["Corrigée"]["corrections"] == 1 and items["Corrigée"]["reschedulings"] == 1
    assert items["Annulée"]["status_reason"] == "Reportée sine die."
