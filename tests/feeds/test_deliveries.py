"""Claiming and sending one delivery, against a real SMTP server on localhost."""

import datetime

import pytest
from django.utils import timezone

from feeds import deliveries, emails, tasks, weeks
from feeds.models import Delivery
from tests.feeds.conftest import record, subscriber
from tests.feeds.smtp import free_port

pytestmark = pytest.mark.django_db
Outcome = deliveries.Outcome


@pytest.fixture
def issue(world):
    development = record()
    return tasks.digest_publish_and_fan_out(
        force=True, week=weeks.week_of(development.first_recorded_at)
    ).digest


def delivery_to(issue, email, **state):
    return Delivery.objects.create(digest=issue, subscriber=subscriber(email), **state)


def send(delivery):
    return deliveries.delivery_send(delivery_id=delivery.id)


def test_a_delivery_is_sent_once_however_often_it_is_asked(over_smtp, issue):
    delivery = delivery_to(issue, "reader@example.org")
    assert send(delivery) is Outcome.SENT
    assert send(delivery) is Outcome.NOT_CLAIMED  # a retried task, a second worker
    assert len(over_smtp.received_by("reader@example.org")) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 1)
    assert delivery.sent_at is not None


def test_a_fresh_claim_belongs_to_its_worker(over_smtp, issue):
    delivery = delivery_to(issue, "reader@example.org")
    assert deliveries.delivery_claim(delivery_id=delivery.id, now=timezone.now())
    assert send(delivery) is Outcome.NOT_CLAIMED
    assert over_smtp.count() == 0


def test_a_dead_workers_claim_is_taken_again_after_the_lease_with_the_same_message_id(
    over_smtp, issue
):
    delivery = delivery_to(issue, "reader@example.org")
    long_ago = timezone.now() - deliveries.lease() - datetime.timedelta(seconds=1)
    assert deliveries.delivery_claim(delivery_id=delivery.id, now=long_ago)  # then died

    assert send(delivery) is Outcome.SENT
    [message] = over_smtp.received_by("reader@example.org")
    # The id the dead worker's message carried, had it gone out: receivers can deduplicate.
    assert message["Message-ID"] == emails.digest_message_id(digest=issue, delivery_id=delivery.id)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 2)


def test_a_transient_smtp_error_is_retried_and_a_permanent_one_recorded(over_smtp, issue):
    over_smtp.replies["flaky@example.org"] = ["451 4.7.1 Greylisted, try again later"]
    over_smtp.replies["gone@example.org"] = ["550 5.1.1 No such mailbox"]
    flaky = delivery_to(issue, "flaky@example.org")
    gone = delivery_to(issue, "gone@example.org")

    assert send(flaky) is Outcome.RETRY
    flaky.refresh_from_db()
    assert (flaky.status, flaky.attempts) == ("pending", 1) and "451" in flaky.error
    assert send(flaky) is Outcome.SENT
    assert len(over_smtp.received_by("flaky@example.org")) == 1

    assert send(gone) is Outcome.FAILED
    gone.refresh_from_db()
    assert gone.status == "failed" and "550" in gone.error
    assert over_smtp.received_by("gone@example.org") == []


def test_an_unreachable_server_is_transient_until_the_attempts_run_out(settings, issue):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens
    delivery = delivery_to(issue, "reader@example.org")
    for _ in range(deliveries.MAX_ATTEMPTS - 1):
        assert send(delivery) is Outcome.RETRY
    assert send(delivery) is Outcome.FAILED
    delivery.refresh_from_db()
    assert delivery.attempts == deliveries.MAX_ATTEMPTS
    assert "Connection" in delivery.error or "refused" in delivery.error.lower()


def test_whoever_left_before_their_turn_is_skipped(over_smtp, issue):
    delivery = delivery_to(issue, "reader@example.org")
    delivery.subscriber.unsubscribed_at = timezone.now()
    delivery.subscriber.save()
    assert send(delivery) is Outcome.SKIPPED
    erased = delivery_to(issue, "erased@example.org")
    erased.subscriber.delete()
    assert send(erased) is Outcome.SKIPPED
    assert over_smtp.count() == 0


def test_work_untouched_for_a_lease_is_found_for_resuming(issue):
    now = timezone.now()
    stale = now - deliveries.lease() - datetime.timedelta(seconds=5)
    lost_chunk = delivery_to(issue, "a@example.org")
    Delivery.objects.filter(id=lost_chunk.id).update(created_at=stale)
    dead_claim = delivery_to(issue, "b@example.org", status="sending", claimed_at=stale)
    backing_off = delivery_to(issue, "c@example.org", status="pending", claimed_at=stale)
    delivery_to(issue, "d@example.org")  # just published: its chunk task is on its way
    delivery_to(issue, "e@example.org", status="sending", claimed_at=now)  # a live worker
    delivery_to(issue, "f@example.org", status="sent", claimed_at=stale)
    ids, wait = deliveries.resumable(now=now)
    assert ids == [lost_chunk.id, dead_claim.id, backing_off.id]
    assert 0 < wait <= deliveries.lease().total_seconds() + 1


def test_a_chunk_is_sent_over_one_connection_opened_afresh_after_a_failure(over_smtp, issue):
    over_smtp.replies["gone@example.org"] = ["550 5.1.1 No such mailbox"]
    addresses = ["a@example.org", "gone@example.org", "b@example.org", "c@example.org"]
    chunk = [delivery_to(issue, address) for address in addresses]

    tasks.send_delivery_chunk([d.id for d in chunk])
    tasks.send_delivery_chunk([d.id for d in chunk])  # a redelivered task sends nothing again

    for address in ("a@example.org", "b@example.org", "c@example.org"):
        assert len(over_smtp.received_by(address)) == 1
    assert Delivery.objects.get(id=chunk[1].id).status == "failed"
    first, after_failure, last = over_smtp.sessions
    assert after_failure == last != first  # b and c share the connection opened after it
