"""Digests and subscriptions in the API: clear errors naming the field."""

import pytest
from django.core import mail

from feeds import subscriptions, tasks, weeks
from feeds.models import Subscriber
from tests.feeds.conftest import record

pytestmark = pytest.mark.django_db


def post(client, **body):
    return client.post(
        "/api/v1/subscriptions", body, content_type="application/json", REMOTE_ADDR="192.0.2.7"
    )


def test_it_asks_for_confirmation_of_a_subscription(
    client, world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, email="api@example.org", language="en", topics=["epca"])
    assert response.status_code == 202
    assert response.json()["status"] == "confirmation_sent"
    reader = Subscriber.objects.get()
    assert not reader.is_active and reader.topic_slugs() == ["epca"]
    assert mail.outbox[0].to == ["api@example.org"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"email": "nope", "language": "fr"}, "email"),
        ({"email": "ok@example.org", "language": "de"}, "language"),
        ({"email": "ok@example.org", "topics": ["no-such-topic"]}, "topics"),
        ({"email": "ok@example.org", "topics": ["nul\u0000byte"]}, "topics"),
        ({"email": "nul\u0000byte@example.org"}, "email"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(client, world, body, field):
    response = post(client, **body)
    assert response.status_code == 422
    assert field in [error["field"] for error in response.json()["errors"]]
    assert not Subscriber.objects.exists()


def test_a_missing_field_is_a_422_too(client, world):
    response = post(client, language="fr")
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "email", "message": "This field is required."}]


def test_too_many_requests_is_a_429_naming_the_address(client, world):
    for _ in range(subscriptions.ADDRESS_LIMIT):
        assert post(client, email="same@example.org").status_code == 202
    response = post(client, email="same@example.org")
    assert response.status_code == 429
    assert response.json()["errors"][0]["field"] == "email"


def test_it_lists_digests_and_returns_one(client, world):
    issue = tasks.digest_publish_and_fan_out(
        force=True, week=weeks.week_of(record().first_recorded_at)
    ).digest
    listed = client.get("/api/v1/digests").json()
    assert [d["number"] for d in listed] == [issue.number]
    assert listed[0]["title"] == "Quoi de neuf au Kazakhstan cette semaine ? Numéro 1"
    one = client.get(f"/api/v1/digests/{issue.number}").json()
    assert one["html"] == issue.html and one["text"] == issue.text
    assert one["week"] == issue.week


def test_an_unknown_digest_is_a_404_naming_the_number(client, world):
    response = client.get("/api/v1/digests/999")
    assert response.status_code == 404
    assert response.json()["errors"][0]["field"] == "number"


@pytest.mark.parametrize("number", ["99999999999999999999", "-1", "two"])
def test_a_number_that_cannot_be_an_issue_is_a_clear_error(client, world, number):
    response = client.get(f"/api/v1/digests/{number}")
    assert response.status_code in (404, 422)
    assert response.json()["errors"][0]["field"] == "number"
