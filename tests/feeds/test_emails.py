"""The digest email as a mail client receives it, read from the sent message."""

import email
import re
from email import policy

import pytest
from django.core import mail
from django.test import Client

from feeds import deliveries, emails, tasks, weeks
from tests.feeds.conftest import record, subscriber

pytestmark = pytest.mark.django_db


@pytest.fixture
def issue(world, settings):
    settings.SITE_URL = "https://kztrack.example"
    settings.SITE_DOMAIN = "kztrack.example"
    record(title="Cycle de négociations <visas>", topics=["visa-facilitation"])
    development = record(title="Signature de l'APCR", topics=["epca"])
    return tasks.digest_publish_and_fan_out(
        force=True, week=weeks.week_of(development.first_recorded_at)
    ).digest


def send_to(reader, issue):
    delivery = issue.deliveries.get(subscriber=reader)
    assert deliveries.delivery_send(delivery_id=delivery.id) is deliveries.Outcome.SENT
    [message] = [m for m in mail.outbox if m.to == [reader.email]]
    return message, delivery


def test_it_is_multipart_alternative_with_list_headers(issue):
    reader = subscriber("reader@example.org", language="fr")
    issue.deliveries.create(subscriber=reader)
    message, delivery = send_to(reader, issue)
    raw = email.message_from_bytes(message.message().as_bytes(), policy=policy.default)

    def header(name: str) -> str:
        return str(raw[name]).strip()  # long headers are folded after the colon

    assert raw.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in raw.get_payload()] == ["text/plain", "text/html"]
    assert header("Subject") == "Quoi de neuf au Kazakhstan cette semaine ? Numéro 1"
    assert header("List-Id") == "Quoi de neuf au Kazakhstan <digest.kztrack.example>"
    assert re.fullmatch(
        r"<https://kztrack\.example/unsubscribe/[^>]+/>", header("List-Unsubscribe")
    )
    assert header("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"
    assert header("Message-ID") == f"<digest-1.{delivery.id}@kztrack.example>"
    delivery.refresh_from_db()
    assert delivery.message_id == header("Message-ID")


def test_the_body_carries_visible_unsubscribe_and_preferences_links(issue):
    reader = subscriber("reader@example.org")
    issue.deliveries.create(subscriber=reader)
    message, _ = send_to(reader, issue)
    unsubscribe = message.extra_headers["List-Unsubscribe"].strip("<>")
    html = message.alternatives[0][0]
    assert unsubscribe in message.body and unsubscribe in html
    assert "https://kztrack.example/subscribe/preferences/" in message.body
    # The link in the header works by itself, as a mail provider's one-click POST.
    path = unsubscribe.removeprefix("https://kztrack.example")
    assert (
        Client(enforce_csrf_checks=True)
        .post(path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
        .status_code
        == 200
    )
    reader.refresh_from_db()
    assert reader.unsubscribed_at is not None


def test_the_html_part_styles_inline_and_escapes_editors_text(issue):
    reader = subscriber("reader@example.org")
    issue.deliveries.create(subscriber=reader)
    message, _ = send_to(reader, issue)
    html = message.alternatives[0][0]
    assert "<style" not in html and "stylesheet" not in html
    assert 'style="' in html
    assert "Cycle de négociations &lt;visas&gt;" in html
    assert "Cycle de négociations <visas>" in message.body  # plain text stays plain


def test_it_is_personalised_to_the_subscribers_topics_and_language(issue, world):
    reader = subscriber("reader@example.org", language="en", topics=[world["epca"]])
    issue.deliveries.create(subscriber=reader)
    message, _ = send_to(reader, issue)
    assert message.subject == "What's new in Kazakhstan this week? Issue 1"
    assert "Signature de l'APCR" in message.body
    assert "Cycle de négociations" not in message.body
    assert "-- EPCA --" in message.body
    assert "Your topics: EPCA" in message.body
    assert "Unsubscribe" in message.alternatives[0][0]
    assert message.extra_headers["Content-Language"] == "en"


def test_the_confirmation_email_has_a_text_and_an_html_part(settings):
    settings.SITE_DOMAIN = "kztrack.example"
    message = emails.confirmation_message(
        email="new@example.org",
        language="fr",
        confirm_url="https://kztrack.example/subscribe/confirm/abc/",
    )
    assert message.message().get_content_type() == "multipart/alternative"
    assert message.extra_headers["Message-ID"].endswith("@kztrack.example>")
    assert "https://kztrack.example/subscribe/confirm/abc/" in message.body
    assert 'href="https://kztrack.example/subscribe/confirm/abc/"' in message.alternatives[0][0]
