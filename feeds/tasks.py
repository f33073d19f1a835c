"""Thin Celery tasks: each loads by id and calls a service in digests, deliveries or
subscriptions. acks_late and reject_on_worker_lost are on (settings), and every task is
safe to run twice: the services claim their work before doing it."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.signals import worker_ready
from django.utils import timezone

from feeds import deliveries, digests, subscriptions
from feeds.models import Delivery

logger = logging.getLogger(__name__)


@shared_task
def publish_last_weeks_digest() -> int | None:
    """Beat, Mondays at 07:00 in Brussels: make sure last ISO week's issue exists."""
    published = digests.digest_publish(week=digests.previous_week(timezone.now()))
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
    for delivery_id in delivery_ids:
        _send_one(delivery_id)


@shared_task
def send_delivery(delivery_id: int) -> None:
    """One delivery, after a transient failure."""
    _send_one(delivery_id)


def _send_one(delivery_id: int) -> None:
    outcome = deliveries.delivery_send(delivery_id=delivery_id)
    if outcome is deliveries.Outcome.RETRY:
        attempts = Delivery.objects.get(id=delivery_id).attempts
        send_delivery.apply_async((delivery_id,), countdown=deliveries.backoff(attempts))


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
