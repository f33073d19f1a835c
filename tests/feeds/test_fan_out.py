"""The fan-out of an issue, read from the messages a real SMTP server received: the issue
is rendered once per kind of reader (a language, the topics followed), and everything in
a message that is the reader's own (To, Message-ID, the one-click unsubscribe link, the
preferences link) is theirs and no one else's."""

import collections
import dataclasses
import email
import os
import re
from email import policy
from email.message import EmailMessage

import pytest
from django.db import connection
from django.test import Client
from django.test.signals import template_rendered
from django.test.utils import CaptureQueriesContext

from feeds import emails, subscriptions, tasks, weeks
from feeds.models import Delivery, Subscriber
from tests.feeds.conftest import record, subscriber
from tests.feeds.smtp import wait_for
from timeline.models import Topic

SITE_URL = "https://kztrack.example"
UNSUBSCRIBE = re.compile(rf"{re.escape(SITE_URL)}/unsubscribe/([^/\s<>\"]+)/")
PREFERENCES = re.compile(rf"{re.escape(SITE_URL)}/subscribe/preferences/([^/\s<>\"]+)/")


@pytest.fixture
def over_smtp(over_smtp, settings):
    settings.SITE_URL = SITE_URL
    settings.SITE_DOMAIN = "kztrack.example"
    return over_smtp


def parsed(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    assert not message.defects
    return message


def bodies(message: EmailMessage) -> tuple[str, ...]:
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    # As written before SMTP turned its line ends into CRLF.
    return tuple(part.get_content().replace("\r\n", "\n") for part in (text, html))


def assert_the_message_is_theirs(message: EmailMessage, reader: Subscriber) -> None:
    """Every personal link and header of `message` is `reader`'s own."""
    delivery = Delivery.objects.get(subscriber=reader)
    assert str(message["To"]) == reader.email
    assert str(message["Message-ID"]) == emails.digest_message_id(
        digest=delivery.digest, delivery_id=delivery.id
    )
    assert delivery.message_id == str(message["Message-ID"])
    one_click = str(message["List-Unsubscribe"]).strip()
    assert str(message["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    found = UNSUBSCRIBE.fullmatch(one_click.strip("<>"))
    assert found is not None, one_click
    [token] = found.groups()
    assert subscriptions.subscriber_for_unsubscribe(token) == reader
    text, html = bodies(message)
    for body in (text, html):
        # The same link in both parts and the header, and no one else's.
        assert set(UNSUBSCRIBE.findall(body)) == {token}
        [preferences] = set(PREFERENCES.findall(body))
        assert subscriptions.subscriber_for_preferences(preferences) == reader
    assert f'href="{one_click.strip("<>")}"' in html


def published(world):
    """This week's issue: a development about EPCA, one about visas."""
    record(title="Cycle de négociations <visas>", topics=["visa-facilitation"])
    development = record(title="Signature de l'APCR", topics=["epca"])
    return tasks.digest_publish_and_fan_out(
        force=True, week=weeks.week_of(development.first_recorded_at)
    )


@pytest.mark.django_db
def test_a_fan_out_renders_the_issue_once_per_language_and_topics_and_each_message_is_the_readers(
    over_smtp, world, django_capture_on_commit_callbacks
):
    energy = Topic.objects.create(slug="energy", name_fr="Énergie", name_en="Energy", position=3)
    readers = [
        subscriber("fr1@example.org"),
        subscriber("fr2@example.org"),
        subscriber("fr3@example.org"),
        subscriber("en1@example.org", language="en"),
        subscriber("en2@example.org", language="en"),
        subscriber("epca-fr1@example.org", topics=[world["epca"]]),
        subscriber("epca-fr2@example.org", topics=[world["epca"]]),
        # Energy is not in this issue: this reader sees what the EPCA readers see.
        subscriber("epca-energy@example.org", topics=[world["epca"], energy]),
        subscriber("epca-en@example.org", language="en", topics=[world["epca"]]),
        subscriber("both-en@example.org", language="en", topics=[world["epca"], world["visa"]]),
    ]
    subscriber("pending@example.org", confirmed=False)
    subscriber("gone@example.org", unsubscribed=True)
    with django_capture_on_commit_callbacks() as fan_out:
        issue = published(world).digest
    renders: list[tuple[str, dict]] = []

    def count(sender, template, context, **kwargs):
        renders.append((template.name, context.flatten()))

    template_rendered.connect(count)
    try:
        for callback in fan_out:
            callback()  # send_digest, its chunk task (eager): all in this process
    finally:
        template_rendered.disconnect(count)

    bodies_rendered = collections.Counter(
        (context["lang"], tuple(group["slug"] for group in context["this_week"]))
        for name, context in renders
        if name == "emails/_digest-content.html"
    )
    # Five kinds of reader, one rendering each: French and English with all topics, EPCA
    # in French (with energy, which the issue does not name, or not) and in English, EPCA
    # and visas in English (what an English reader of all topics sees, but another kind).
    assert bodies_rendered == {
        ("fr", ("epca", "visa-facilitation")): 1,
        ("en", ("epca", "visa-facilitation")): 2,
        ("fr", ("epca",)): 1,
        ("en", ("epca",)): 1,
    }
    per_template = [name for name, _ in renders]
    assert per_template.count("emails/_digest-content.txt") == 5
    # The frame around the body is each reader's own.
    assert per_template.count("emails/digest-body.html") == len(readers)
    assert per_template.count("emails/digest-body.txt") == len(readers)

    assert over_smtp.count() == len(readers)
    assert len(set(over_smtp.sessions)) == 1  # one chunk, one SMTP connection
    for reader in readers:
        [raw] = [
            raw
            for (rcpts, _), raw in zip(over_smtp.messages, over_smtp.raw, strict=True)
            if reader.email in rcpts
        ]
        message = parsed(raw)
        assert_the_message_is_theirs(message, reader)
        # Byte for byte the message this reader would get alone, rendered from scratch.
        text, html = bodies(message)
        [preferences_url] = {found.group(0) for found in PREFERENCES.finditer(text)}
        alone = emails.issue_message(
            content=issue.content,
            number=issue.number,
            recipient=dataclasses.replace(
                subscriptions.recipient_for(reader), preferences_url=preferences_url
            ),
            message_id=str(message["Message-ID"]),
        )
        assert (text, html) == (alone.body, alone.alternatives[0][0])
        assert str(message["Subject"]) == alone.subject
    assert over_smtp.received_by("pending@example.org") == []
    assert over_smtp.received_by("gone@example.org") == []


@pytest.mark.django_db
def test_a_claim_renewed_before_each_message_still_sends_each_once(
    over_smtp, world, settings, django_capture_on_commit_callbacks
):
    # A lease of 0 makes every claim half a lease old at once: the worker renews its claim
    # on the rest of its chunk before each message, as it would with a very slow server.
    settings.DIGEST_DELIVERY_LEASE_SECONDS = 0
    readers = [subscriber(f"reader{n}@example.org") for n in range(4)]
    with CaptureQueriesContext(connection) as queries:
        with django_capture_on_commit_callbacks(execute=True):
            issue = published(world).digest
    renewals = [q for q in queries if re.match(r"UPDATE \S+ SET claimed_at = ", q["sql"])]
    assert len(renewals) == len(readers)
    assert issue.deliveries.filter(status="sent").count() == len(readers)
    assert over_smtp.count() == len(readers)
    for reader in readers:
        assert len(over_smtp.received_by(reader.email)) == 1


# --- on real workers ------------------------------------------------------------------------


def statuses(issue) -> dict[str, int]:
    rows = issue.deliveries.values_list("status", flat=True)
    return {status: list(rows).count(status) for status in set(rows)}


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_on_a_real_worker_each_reader_gets_their_own_links_and_headers(
    world_tx, smtp, workers, settings
):
    if not os.environ.get("REDIS_URL"):
        pytest.fail("the worker tests need REDIS_URL (the broker)", pytrace=False)
    workers.env |= {"SITE_URL": SITE_URL, "SITE_DOMAIN": "kztrack.example"}
    settings.SITE_URL, settings.SITE_DOMAIN = SITE_URL, "kztrack.example"
    # Two kinds of reader, three of each: the three share one rendering of the issue.
    readers = [subscriber(f"lecteur{n}@example.org") for n in range(3)] + [
        subscriber(f"reader{n}@example.org", language="en", topics=[world_tx["epca"]])
        for n in range(3)
    ]
    issue = published(world_tx).digest
    workers.start("worker")
    wait_for(lambda: statuses(issue) == {"sent": 6}, timeout=90, what="the fan-out")

    assert smtp.sink.count() == len(readers)
    for reader in readers:
        [raw] = [
            raw
            for (rcpts, _), raw in zip(smtp.sink.messages, smtp.sink.raw, strict=True)
            if reader.email in rcpts
        ]
        assert_the_message_is_theirs(parsed(raw), reader)

    # Its one-click link unsubscribes that reader, and only them.
    first = parsed(smtp.sink.raw[0])
    url = str(first["List-Unsubscribe"]).strip().strip("<>")
    response = Client(enforce_csrf_checks=True).post(
        url.removeprefix(SITE_URL),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    left = Subscriber.objects.filter(unsubscribed_at__isnull=False)
    assert [s.email for s in left] == [str(first["To"])]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_two_workers_given_the_same_chunks_send_each_message_once(world_tx, smtp, workers):
    if not os.environ.get("REDIS_URL"):
        pytest.fail("the worker tests need REDIS_URL (the broker)", pytrace=False)
    readers = [subscriber(f"reader{n}@example.org") for n in range(30)]
    issue = published(world_tx).digest  # its fan-out is queued once it commits
    ids = list(issue.deliveries.order_by("id").values_list("id", flat=True))
    # The same work queued twice more, in other chunks: a redelivered or resumed task.
    tasks.send_delivery_chunk.delay(ids)
    tasks.send_delivery_chunk.delay(ids[::-1])
    workers.start("one")
    workers.start("two")
    wait_for(lambda: statuses(issue) == {"sent": 30}, timeout=90, what="the fan-out")

    for reader in readers:
        assert len(smtp.sink.received_by(reader.email)) == 1, reader.email
    assert smtp.sink.count() == len(readers)
    assert len({m["Message-ID"] for _, m in smtp.sink.messages}) == len(readers)
