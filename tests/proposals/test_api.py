"""POST /api/v1/proposals: the proposer for automation, behind a token like every write."""

import json

import pytest

from tests.base import assert_api_error, make_editor, record
from tests.proposals.test_unseen_text import PRESS_RELEASE
from timeline.auth import token_create
from timeline.models import Event


@pytest.fixture
def token(world):
    _, raw = token_create(user=make_editor("robot"), name="Desk robot")
    return raw


def post(client, body, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post(
        "/api/v1/proposals", data=json.dumps(body), content_type="application/json", headers=headers
    )


def test_it_proposes_and_flags_what_is_already_recorded(client, token):
    memorandum = record(title="Mémorandum UE–Kazakhstan sur l'hydrogène vert signé", date="2026-03")
    events_before = Event.objects.count()
    response = post(client, {"text": PRESS_RELEASE, "published": "2026-03-12"}, token)
    assert response.status_code == 200, response.content
    proposals = {p["date"]: p for p in response.json()}
    last_week = proposals["[2026-03-02..2026-03-08]"]
    assert last_week["duplicates"] == [str(memorandum.id)]
    assert proposals["2027-21"]["duplicates"] == []
    assert proposals["2027-21"]["status"] == "scheduled"
    assert Event.objects.count() == events_before  # proposing records nothing


def test_it_needs_a_token(client, world):
    response = post(client, {"text": PRESS_RELEASE, "published": "2026-03-12"})
    assert response.status_code == 401


def test_it_names_a_bad_publication_date(client, token):
    response = post(client, {"text": PRESS_RELEASE, "published": "12 mars"}, token)
    assert_api_error(response, 422, "published")


def test_it_refuses_an_empty_text(client, token):
    response = post(client, {"text": "  ", "published": "2026-03-12"}, token)
    assert_api_error(response, 422, "text")


def test_the_schema_is_in_the_openapi_document(client):
    document = client.get("/api/v1/openapi.json").json()
    operation = document["paths"]["/api/v1/proposals"]["post"]
    assert operation["security"]
    assert "ProposalOut" in json.dumps(document["components"]["schemas"])
