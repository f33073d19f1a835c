"""The fan-out on real Celery workers (Redis broker) and a real SMTP server.

These tests kill a worker with SIGKILL in the middle of an SMTP exchange and let a new
one finish: every confirmed subscriber must hold exactly one message.
"""

import os

import pytest
from django.db.models import Count

from feeds import tasks, weeks
from feeds.models import Delivery
from tests.feeds.conftest import record, subscriber
from tests.feeds.smtp import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

if not os.environ.get("REDIS_URL"):
    pytest.fail("the worker tests need REDIS_URL (the broker)", pytrace=False)


def statuses(issue) -> dict[str, int]:
    rows = issue.deliveries.values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}


def publish_now(world):
    development = record(title="Réunion du Conseil de coopération")
    return tasks.digest_publish_and_fan_out(
        force=True, week=weeks.week_of(development.first_recorded_at)
    ).digest


def test_a_worker_killed_mid_fan_out_is_finished_by_a_new_one_sending_each_message_once(
    world_tx, smtp, workers
):
    readers = [subscriber(f"reader{n}@example.org") for n in range(6)]
    subscriber("pending@example.org", confirmed=False)
    subscriber("gone@example.org", unsubscribed=True)
    sink = smtp.sink
    sink.hold_rcpt_number = 3  # the third message stops at RCPT until the test lets it go

    issue = publish_now(world_tx)
    assert issue.deliveries.count() == 6
    first = workers.start("first")
    wait_for(lambda: sink.held, what="the first worker to reach the third message")
    assert sink.count() == 2
    workers.kill(first)  # kill -9 while the third message is in the SMTP dialogue

    # The chunk was claimed at once: the three not reached yet wait with the interrupted
    # one for the lease to pass, as a dead worker's claim does.
    assert statuses(issue) == {"sent": 2, "sending": 4}
    sink.gate.set()  # the dead worker's connection is gone: nothing more arrives from it
    workers.start("second")
    wait_for(
        lambda: statuses(issue) == {"sent": 6},
        timeout=90,
        what="the second worker to finish the fan-out",
    )

    for reader in readers:
        assert len(sink.received_by(reader.email)) == 1, reader.email
    assert sink.received_by("pending@example.org") == []
    assert sink.received_by("gone@example.org") == []
    assert sink.count() == 6
    interrupted = issue.deliveries.get(subscriber__email=sink.held[0])
    assert interrupted.attempts == 2
    message_ids = {m["Message-ID"] for _, m in sink.messages}
    assert len(message_ids) == 6


def test_a_worker_retries_transient_smtp_errors_and_records_permanent_ones(world_tx, smtp, workers):
    subscriber("ok@example.org")
    subscriber("flaky@example.org")
    subscriber("gone@example.org")
    sink = smtp.sink
    sink.replies["flaky@example.org"] = ["421 4.3.0 Try again later"] * 2
    sink.replies["gone@example.org"] = ["550 5.1.1 No such mailbox"] * 10

    issue = publish_now(world_tx)
    workers.start("worker")
    wait_for(
        lambda: statuses(issue) == {"sent": 2, "failed": 1},
        timeout=90,
        what="every delivery to be sent or failed",
    )

    assert len(sink.received_by("ok@example.org")) == 1
    assert len(sink.received_by("flaky@example.org")) == 1
    flaky = Delivery.objects.get(subscriber__email="flaky@example.org")
    assert flaky.attempts == 3  # two 421s, retried with backoff, then sent
    gone = Delivery.objects.get(subscriber__email="gone@example.org")
    assert gone.attempts == 1 and "550" in gone.error
