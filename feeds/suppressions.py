"""Addresses that must not be sent to again: a permanent failure at send time (an SMTP
5xx for the recipient) or an ESP's report (an anymail bounce, complaint or rejection,
posted to /anymail/<esp>/tracking/ and authenticated with ANYMAIL's WEBHOOK_SECRET).

A suppressed subscriber stays a row, with when and why, for the admin; they receive no
further issue (SubscriberQuerySet.active). Nothing about it goes into the event log:
subscribers are personal data, outside it. Transient failures (4xx, a deferral) suppress
nothing: deliveries.py retries them.
"""

from __future__ import annotations

import logging

from anymail.signals import EventType, tracking
from django.dispatch import receiver
from django.utils import timezone

from feeds.models import Subscriber

logger = logging.getLogger(__name__)

# What an ESP reports that means "never again": anymail's normalised event types.
PERMANENT = {EventType.BOUNCED, EventType.COMPLAINED, EventType.REJECTED}


def subscriber_suppress(*, email: str, reason: str) -> int:
    """Suppress the subscriber with this address (any case); returns how many rows changed.
    The first reason is kept: a later report does not hide why the address first failed."""
    changed = Subscriber.objects.filter(
        email__iexact=email.strip(), suppressed_at__isnull=True
    ).update(suppressed_at=timezone.now(), suppression_reason=reason[:2000])
    if changed:
        logger.info("suppressed a subscriber: %s", reason[:200])
    return changed


@receiver(tracking, dispatch_uid="feeds.suppressions.on_tracking")
def on_tracking(sender, event, esp_name, **kwargs) -> None:
    """anymail's tracking signal: a bounce, a complaint or a rejection suppresses."""
    if event.event_type not in PERMANENT or not event.recipient:
        return
    details = " ".join(
        part for part in (event.reject_reason, event.description, event.mta_response) if part
    )
    subscriber_suppress(
        email=event.recipient, reason=f"{esp_name} {event.event_type}: {details}".strip()
    )
