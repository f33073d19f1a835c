"""Permanent failures suppress a subscriber for future issues; transient ones are retried.

SMTP answers at send time (a real aiosmtpd server refusing recipients), and an ESP reports
bounces later through anymail's tracking webhook (its Postmark flavour here, posted with
the basic-auth secret anymail documents)."""

import base64
import datetime
import json

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.utils import timezone

from feeds import tasks, weeks
from feeds.models import Delivery, Subscriber
from tests.feeds.conftest import record, record_at, subscriber
from timeline.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def over_smtp(over_smtp, settings):
    settings.DIGEST_RETRY_BACKOFF_SECONDS = 0
    return over_smtp


def publish_this_week(capture) -> object:
    development = record()
    with capture(execute=True):
        return tasks.digest_publish_and_fan_out(
            week=weeks.week_of(development.first_recorded_at), force=True
        ).digest


def test_a_550_suppresses_a_451_is_retried_and_nobody_gets_two(
    over_smtp, world, django_capture_on_commit_callbacks
):
    subscriber("gone@example.org")
    subscriber("busy@example.org")
    subscriber("fine@example.org")
    over_smtp.replies["gone@example.org"] = ["550 5.1.1 <gone@example.org>: no such user"]
    over_smtp.replies["busy@example.org"] = ["451 4.3.0 Mailbox busy, try later"]
    events_before = Event.objects.count()

    issue = publish_this_week(django_capture_on_commit_callbacks)

    gone = Subscriber.objects.get(email="gone@example.org")
    assert gone.suppressed_at is not None
    assert "550" in gone.suppression_reason and "no such user" in gone.suppression_reason
    statuses = dict(issue.deliveries.values_list("subscriber__email", "status"))
    assert statuses == {
        "gone@example.org": "failed",
        "busy@example.org": "sent",
        "fine@example.org": "sent",
    }
    busy = issue.deliveries.get(subscriber__email="busy@example.org")
    assert busy.attempts == 2  # refused once (451), then delivered
    assert len(over_smtp.received_by("busy@example.org")) == 1
    assert len(over_smtp.received_by("fine@example.org")) == 1
    assert over_smtp.received_by("gone@example.org") == []
    assert Event.objects.count() == events_before + 1  # the development; no subscriber

    # The next issue leaves the suppressed address out.
    next_week = timezone.now() + datetime.timedelta(weeks=1)
    later = record_at(next_week, title="La semaine suivante")
    with django_capture_on_commit_callbacks(execute=True):
        second = tasks.digest_publish_and_fan_out(
            week=weeks.week_of(later.first_recorded_at), force=True
        ).digest
    recipients = set(second.deliveries.values_list("subscriber__email", flat=True))
    assert recipients == {"busy@example.org", "fine@example.org"}


def test_the_admin_shows_who_is_suppressed_and_why(client, world):
    gone = subscriber("gone@example.org")
    Subscriber.objects.filter(pk=gone.pk).update(
        suppressed_at=timezone.now(), suppression_reason="SMTP 550 no such user"
    )
    client.force_login(User.objects.create_superuser("root", "root@example.org", "x y z 42"))
    page = client.get("/admin/feeds/subscriber/?suppressed_at__isnull=False")
    assert "gone@example.org" in page.content.decode()
    detail = client.get(f"/admin/feeds/subscriber/{gone.pk}/change/").content.decode()
    assert "SMTP 550 no such user" in detail


# --- an ESP's webhook -------------------------------------------------------------------

WEBHOOK = "/anymail/postmark/tracking/"


@pytest.fixture
def esp(settings):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    settings.ANYMAIL = {"WEBHOOK_SECRET": "postmark:s3cret-webhook"}
    return settings


def basic_auth(secret: str) -> str:
    return "Basic " + base64.b64encode(secret.encode()).decode()


def bounce(email: str, message_id: str) -> str:
    return json.dumps(
        {
            "RecordType": "Bounce",
            "Type": "HardBounce",
            "TypeCode": 1,
            "MessageID": message_id,
            "Email": email,
            "Description": "The server was unable to deliver your message.",
            "Details": "smtp;550 5.1.1 The email account does not exist.",
            "BouncedAt": "2026-03-02T08:00:00Z",
        }
    )


def test_an_esp_bounce_posted_to_the_webhook_suppresses_the_address(
    client, esp, world, django_capture_on_commit_callbacks
):
    subscriber("Bounced@Example.org")
    subscriber("fine@example.org")
    issue = publish_this_week(django_capture_on_commit_callbacks)
    # The ESP took both messages (anymail's test backend records what it was given).
    assert sorted(m.to[0] for m in mail.outbox) == ["Bounced@Example.org", "fine@example.org"]
    assert set(issue.deliveries.values_list("status", flat=True)) == {"sent"}
    message_id = mail.outbox[0].anymail_status.message_id

    # Unauthenticated: refused, nothing changes.
    refused = client.post(
        WEBHOOK, bounce("bounced@example.org", message_id), content_type="application/json"
    )
    assert refused.status_code == 400  # anymail's answer to a missing or wrong secret
    assert not Subscriber.objects.filter(suppressed_at__isnull=False).exists()

    accepted = client.post(
        WEBHOOK,
        bounce("bounced@example.org", message_id),
        content_type="application/json",
        HTTP_AUTHORIZATION=basic_auth("postmark:s3cret-webhook"),
    )
    assert accepted.status_code == 200
    bounced = Subscriber.objects.get(email="Bounced@Example.org")
    assert bounced.suppressed_at is not None
    assert "bounced" in bounced.suppression_reason
    assert "does not exist" in bounced.suppression_reason
    assert not bounced.is_active
    assert Subscriber.objects.get(email="fine@example.org").suppressed_at is None
    assert Delivery.objects.filter(subscriber=bounced).count() == 1  # history kept


def test_an_esp_deferral_suppresses_nobody(client, esp, world):
    subscriber("slow@example.org")
    deferred = json.dumps(
        {"RecordType": "Bounce", "Type": "Transient", "Email": "slow@example.org", "ID": 1}
    )
    response = client.post(
        WEBHOOK,
        deferred,
        content_type="application/json",
        HTTP_AUTHORIZATION=basic_auth("postmark:s3cret-webhook"),
    )
    assert response.status_code == 200
    assert Subscriber.objects.get(email="slow@example.org").suppressed_at is None
