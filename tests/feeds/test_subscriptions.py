"""Subscribing with double opt-in, preferences and one-click unsubscribe."""

import re
import time

import pytest
from django.core import mail
from django.test import Client

from feeds import subscriptions, tasks, weeks
from feeds.models import Delivery, Subscriber
from tests.feeds.conftest import record, subscriber

pytestmark = pytest.mark.django_db


def link(message, kind: str) -> str:
    """The path of the first /subscribe/<kind>/… link in a message's text."""
    match = re.search(rf"https?://[^/\s]+(/subscribe/{kind}/[^/\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def subscribe(client, email, *, remote_addr="192.0.2.1", **fields):
    data = {"email": email, "language": "fr", "scope": "all", **fields}
    return client.post("/subscribe/", data, REMOTE_ADDR=remote_addr)


def test_it_subscribes_only_once_the_emailed_link_is_followed(
    client, world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = subscribe(
            client, "Reader@Example.ORG", language="en", scope="some", topics=["epca"]
        )
    assert response.status_code == 200
    assert "Reader@example.org" in response.content.decode()
    reader = Subscriber.objects.get()
    assert reader.confirmed_at is None and not reader.is_active

    [message] = mail.outbox
    assert message.to == ["Reader@example.org"]
    assert message.alternatives[0][1] == "text/html"
    path = link(message, "confirm")
    assert client.get(path).status_code == 200  # shows a button; a GET confirms nothing
    reader.refresh_from_db()
    assert reader.confirmed_at is None

    confirmed = client.post(path)
    assert confirmed.status_code == 200
    reader.refresh_from_db()
    assert reader.is_active
    assert reader.language == "en"
    assert reader.topic_slugs() == ["epca"]
    assert "/subscribe/preferences/" in confirmed.content.decode()


def test_a_stranger_cannot_change_what_a_subscriber_receives(
    client, world, django_capture_on_commit_callbacks
):
    reader = subscriber("reader@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        response = subscribe(
            client, "READER@example.org", scope="some", topics=["visa-facilitation"], language="en"
        )
    assert response.status_code == 200  # the same answer as for a new address
    assert Subscriber.objects.count() == 1
    reader.refresh_from_db()
    assert reader.all_topics and reader.language == "fr"
    # Only the owner of the mailbox, following the link, applies the change.
    client.post(link(mail.outbox[0], "confirm"))
    reader.refresh_from_db()
    assert reader.topic_slugs() == ["visa-facilitation"] and reader.language == "en"


def test_bad_input_names_the_field(client, world):
    response = subscribe(client, "not-an-address")
    assert response.status_code == 400
    assert "email" in response.context["form"].errors
    response = subscribe(client, "ok@example.org", scope="some")
    assert "topics" in response.context["form"].errors
    response = subscribe(client, "ok@example.org", scope="some", topics=["no-such-topic"])
    assert "topics" in response.context["form"].errors
    assert not Subscriber.objects.exists()


def test_it_limits_subscribe_requests_per_address(client, world):
    for n in range(subscriptions.ADDRESS_LIMIT):
        assert subscribe(client, "same@example.org", remote_addr=f"192.0.2.{n}").status_code == 200
    refused = subscribe(client, "same@example.org", remote_addr="192.0.2.99")
    assert refused.status_code == 429
    assert "email" in refused.context["form"].errors


def test_it_limits_subscribe_requests_per_client(client, world):
    for n in range(subscriptions.CLIENT_LIMIT):
        assert subscribe(client, f"reader{n}@example.org").status_code == 200
    refused = subscribe(client, "one-more@example.org")
    assert refused.status_code == 429
    assert not Subscriber.objects.filter(email="one-more@example.org").exists()
    assert subscribe(client, "one-more@example.org", remote_addr="192.0.2.50").status_code == 200


def test_a_confirmation_link_is_signed_and_expires(client, world, monkeypatch):
    reader = subscriber("reader@example.org", confirmed=False)
    token = subscriptions.confirm_token(subscriber=reader, language="fr", topics=None)
    assert client.get(f"/subscribe/confirm/{token}/").status_code == 200
    assert client.get(f"/subscribe/confirm/{token[:-2]}xx/").status_code == 400
    assert client.post(f"/subscribe/confirm/{token[:-2]}xx/").status_code == 400
    now = time.time()
    with monkeypatch.context() as m:
        m.setattr(time, "time", lambda: now - subscriptions.CONFIRM_MAX_AGE - 60)
        old = subscriptions.confirm_token(subscriber=reader, language="fr", topics=None)
    response = client.post(f"/subscribe/confirm/{old}/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "expired" in response.content.decode()
    reader.refresh_from_db()
    assert reader.confirmed_at is None


def test_the_preferences_page_changes_topics_and_language(client, world):
    reader = subscriber("reader@example.org")
    path = subscriptions.preferences_url(reader).split("8000", 1)[1]
    page = client.get(path)
    assert page.status_code == 200 and "reader@example.org" in page.content.decode()
    saved = client.post(path, {"language": "en", "scope": "some", "topics": ["visa-facilitation"]})
    assert saved.status_code == 200 and saved.context["saved"]
    reader.refresh_from_db()
    assert reader.language == "en" and reader.topic_slugs() == ["visa-facilitation"]
    # An unsubscribe token is not a preferences token, even for the same subscriber.
    other = f"/subscribe/preferences/{subscriptions.unsubscribe_token(reader)}/"
    assert client.get(other).status_code == 400


def test_one_click_post_unsubscribes_at_once_without_cookie_or_redirect(world):
    reader = subscriber("reader@example.org")
    digest = tasks.digest_publish_and_fan_out(
        force=True, week=weeks.week_of(record().first_recorded_at)
    ).digest
    mail_client = Client(enforce_csrf_checks=True)  # as a mail provider posts: no cookie
    path = subscriptions.unsubscribe_url(reader).split("8000", 1)[1]
    assert not mail_client.cookies
    response = mail_client.post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    reader.refresh_from_db()
    assert reader.unsubscribed_at is not None
    # Takes effect at once: the issue still waiting to go out will not be sent to them.
    assert digest.deliveries.get().status == Delivery.Status.SKIPPED


def test_a_get_on_the_unsubscribe_link_only_asks(client, world):
    reader = subscriber("reader@example.org")
    path = subscriptions.unsubscribe_url(reader).split("8000", 1)[1]
    page = client.get(path)
    assert page.status_code == 200
    assert 'method="post"' in page.content.decode()
    reader.refresh_from_db()
    assert reader.is_active


def test_a_forged_unsubscribe_link_is_refused(client, world):
    reader = subscriber("reader@example.org")
    assert client.post(f"/unsubscribe/{reader.key}:forged/").status_code == 400
    assert client.post(f"/unsubscribe/{reader.key}/").status_code == 400
    reader.refresh_from_db()
    assert reader.is_active


def test_an_erased_subscriber_leaves_only_anonymous_counts(client, world):
    reader = subscriber("reader@example.org")
    digest = tasks.digest_publish_and_fan_out(
        force=True, week=weeks.week_of(record().first_recorded_at)
    ).digest
    path = subscriptions.unsubscribe_url(reader).split("8000", 1)[1]
    reader.delete()
    delivery = digest.deliveries.get()
    assert delivery.subscriber is None
    assert "reader@example.org" not in str(Delivery.objects.values().get())
    assert client.post(path).status_code == 400  # the link died with the row
