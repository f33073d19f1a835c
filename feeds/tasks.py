"""Thin Celery tasks: each loads by id and calls a service in digests, deliveries or
subscriptions. acks_late and reject_on_worker_lost are on (settings), and every task is
safe to run twice: the services claim their work before doing it.

The services never enqueue: the two functions at the end do, with
`transaction.on_commit`, so a worker never looks for a row that is not committed yet.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from celery.signals import worker_ready
from django.db import transaction
from django.utils import timezone

from feeds import deliveries, digests, subscriptions, weeks

logger = logging.getLogger(__name__)


@shared_task
def publish_last_weeks_digest() -> int | None:
    """Beat, Mondays at 07:00 in Brussels: make sure last ISO week's issue exists."""
    published = digest_publish_and_fan_out(week=weeks.previous_week(timezone.now()))
    return published.digest.number if published.digest else None


@shared_task
def send_digest(digest_id: int) -> int:
    """Fan out an issue's pending deliveries in chunks; returns how many were enqueued."""
    ids = deliveries.pending_for(digest_id)
    for chunk in deliveries.chunks(ids):
        send_delivery_chunk.delay(chunk)
    return len(ids)


@shared_task
def send_delivery_chunk(delivery_ids: list[int]) -> None:
    """A chunk claimed in one UPDATE and sent over one SMTP connection (Django's)."""
    _retry_later(deliveries.deliveries_send(delivery_ids=delivery_ids))


@shared_task
def send_delivery(delivery_id: int) -> None:
    """One delivery, after a transient failure."""
    _retry_later(deliveries.deliveries_send(delivery_ids=[delivery_id]))


def _retry_later(results: list[deliveries.Result]) -> None:
    for result in results:
        if result.outcome is deliveries.Outcome.RETRY:
            send_delivery.apply_async(
                (result.delivery_id,), countdown=deliveries.backoff(result.attempts)
            )


@shared_task
def resume_deliveries(follow: bool = False) -> int:
    """Enqueue deliveries whose task was lost (a killed worker, a lost retry).

    With `follow`, run again when the freshest remaining claim goes stale: a worker that
    starts after a crash finishes the dead worker's work without waiting for beat.
    """
    ids, wait = deliveries.resumable(now=timezone.now())
    for chunk in deliveries.chunks(ids):
        send_delivery_chunk.delay(chunk)
    if follow and wait is not None:
        resume_deliveries.apply_async(kwargs={"follow": True}, countdown=wait)
    return len(ids)


@shared_task
def send_confirmation(subscriber_id: int, language: str, topics: list[str] | None) -> None:
    subscriptions.confirmation_send(subscriber_id=subscriber_id, language=language, topics=topics)


@worker_ready.connect
def _resume_on_start(sender=None, **kwargs) -> None:
    # A worker that starts after a crash picks up what the dead one left half done.
    resume_deliveries.apply_async(kwargs={"follow": True})


# --- services that enqueue ---------------------------------------------------------------


def digest_publish_and_fan_out(*, week: str, force: bool = False) -> digests.Published:
    """Publish the week's issue (see digests.digest_publish) and, when this call created it,
    start sending it once the transaction commits."""
    published = digests.digest_publish(week=week, force=force)
    if published.created and published.digest is not None:
        digest_id = published.digest.id
        transaction.on_commit(lambda: send_digest.delay(digest_id))
    return published


def subscription_request_and_confirm(*, email: Any, language: Any, topics: Any, client: str) -> str:
    """Ask for a subscription (see subscriptions.subscription_request) and send the
    confirmation link once the transaction commits. Returns the address."""
    requested = subscriptions.subscription_request(
        email=email, language=language, topics=topics, client=client
    )
    transaction.on_commit(
        lambda: send_confirmation.delay(
            requested.subscriber_id, requested.language, requested.topics
        )
    )
    return requested.email
