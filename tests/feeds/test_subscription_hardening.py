"""Subscriptions, second pass: JSON only, one limit per mailbox, links that cannot be
replayed, and addresses that cannot break a header."""

import pytest
import time_machine
from django.core import mail

from feeds import subscriptions
from feeds.models import Subscriber

pytestmark = pytest.mark.django_db


def post(client, body, content_type="application/json", **extra):
    return client.post(
        "/api/v1/subscriptions", body, content_type=content_type, REMOTE_ADDR="192.0.2.7", **extra
    )


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
def test_a_body_that_is_not_json_is_a_415_and_sends_nothing(client, world, content_type):
    body = '{"email": "victim@example.org", "language": "fr"}'
    response = client.generic(
        "POST",
        "/api/v1/subscriptions",
        body,
        content_type=content_type,
        HTTP_ORIGIN="https://elsewhere.example",
    )
    assert response.status_code == 415
    assert response.json()["errors"][0]["field"] == "Content-Type"
    assert not Subscriber.objects.exists() and not mail.outbox


def test_tagged_addresses_share_their_mailbox_limit(client, world):
    for n in range(subscriptions.ADDRESS_LIMIT):
        assert post(client, {"email": f"reader+{n}@example.org"}).status_code == 202
    response = post(client, {"email": "Reader+other@Example.org"})
    assert response.status_code == 429
    assert response.json()["errors"][0]["field"] == "email"


@pytest.mark.parametrize(
    "address", ['"a\u000bb"@example.org', '"a\u0000b"@example.org', '"a\rb"@example.org']
)
def test_a_quoted_local_part_with_control_characters_is_refused(client, world, address):
    response = post(client, {"email": address})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "email"
    assert not Subscriber.objects.exists() and not mail.outbox


def _confirm_link(client, email: str, django_capture_on_commit_callbacks) -> str:
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, {"email": email}).status_code == 202
    body = mail.outbox[-1].body
    start = body.index("/subscribe/confirm/")
    return body[start : body.index("/", start + len("/subscribe/confirm/")) + 1]


def test_a_confirmation_link_works_once(client, world, django_capture_on_commit_callbacks):
    with time_machine.travel("2026-03-02 10:00Z", tick=False):
        path = _confirm_link(client, "once@example.org", django_capture_on_commit_callbacks)
    with time_machine.travel("2026-03-02 10:05Z", tick=False):
        assert client.post(path).status_code == 200
    assert Subscriber.objects.get().is_active
    with time_machine.travel("2026-03-02 10:06Z", tick=False):
        again = client.post(path)
    assert again.status_code == 400
    assert "Ce lien a déjà servi" in again.content.decode()  # French unless asked


def test_a_later_unsubscribe_wins_over_an_old_confirmation_link(
    client, world, django_capture_on_commit_callbacks
):
    with time_machine.travel("2026-03-02 10:00Z", tick=False):
        path = _confirm_link(client, "gone@example.org", django_capture_on_commit_callbacks)
    reader = Subscriber.objects.get()
    with time_machine.travel("2026-03-03 09:00Z", tick=False):
        subscriptions.subscription_unsubscribe(subscriber=reader)
    with time_machine.travel("2026-03-04 09:00Z", tick=False):
        response = client.post(path)
    assert response.status_code == 400
    reader.refresh_from_db()
    assert not reader.is_active and reader.unsubscribed_at is not None
    # A new request sends a new link, and that one works.
    with time_machine.travel("2026-03-05 09:00Z", tick=False):
        path = _confirm_link(client, "gone@example.org", django_capture_on_commit_callbacks)
    with time_machine.travel("2026-03-05 09:01Z", tick=False):
        assert client.post(path).status_code == 200
    reader.refresh_from_db()
    assert reader.is_active
