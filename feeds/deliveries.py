"""Sending an issue: claim one delivery with a conditional UPDATE, send it, record it.

The promise: every recipient frozen at publication gets the issue, once, whatever
retries, second workers or `kill -9` do; the one case where a message may go out twice
is named below, and it is the price of never skipping anyone.

How a delivery moves:
  pending ──claim──▶ sending ──250 from SMTP──▶ sent
                       │ 4xx / connection error ──▶ pending (retried with backoff)
                       │ 5xx, or MAX_ATTEMPTS used ──▶ failed
                       │ 5xx for the recipient ──▶ failed, and the subscriber suppressed
  pending ──subscriber unsubscribed or erased──▶ skipped

1. **Claim.** `UPDATE … SET status='sending', claimed_at=now, attempts=attempts+1 WHERE
   id=… AND (status='pending' OR (status='sending' AND claimed_at < now - lease))`. Only
   the worker whose UPDATE touched the row sends; a retried task, a redelivered broker
   message or a second worker finds it taken (or sent) and does nothing.
2. **A dead worker's claim.** A worker killed while sending leaves the row in 'sending'.
   Once the lease (DIGEST_DELIVERY_LEASE_SECONDS, far longer than one SMTP exchange can
   last given EMAIL_TIMEOUT) has passed, the claim is stale and may be taken again:
   `resume_deliveries` (run when a worker starts, and every five minutes by beat) finds
   the deliveries nothing has touched for a lease (stale claims, and pending rows whose
   chunk task died with the worker or the broker's copy) and enqueues them.
3. **The trade-off: at-least-once with a lease, not at-most-once.** SMTP gives no way to
   ask "did you get this message?", so a worker that dies after the server said 250 but
   before its UPDATE to 'sent' committed leaves a row that looks like a send that never
   happened. We resend it after the lease rather than mark it failed, because the other
   way (at-most-once) would silently skip whoever was in flight at every crash; here the
   duplicate window is only the milliseconds between the server's reply and our commit.
   The resend carries the same Message-ID (emails.digest_message_id), so a receiving
   server or client that deduplicates on it shows one message. A kill at any other
   moment (before the claim, during the SMTP dialogue before the server's 250, after the
   commit) gives exactly one message: the tests kill a worker mid-fan-out and count.
"""

from __future__ import annotations

import datetime
import enum
import logging
import smtplib

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.db.models import F, Min, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from feeds import emails, subscriptions, suppressions
from feeds.models import Delivery

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
CHUNK_SIZE = 50


class Outcome(enum.Enum):
    SENT = "sent"
    SKIPPED = "skipped"
    FAILED = "failed"
    RETRY = "retry"  # a transient error: send again after `backoff`
    NOT_CLAIMED = "not claimed"  # sent already, or being sent by a live worker


def lease() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.DIGEST_DELIVERY_LEASE_SECONDS)


def backoff(attempts: int) -> int:
    """Seconds to wait before attempt `attempts + 1`: doubling from the configured base."""
    return settings.DIGEST_RETRY_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0)


def delivery_claim(*, delivery_id: int, now: datetime.datetime) -> bool:
    """Take the delivery for this worker; True only if this UPDATE touched the row."""
    claimable = Q(status=Delivery.Status.PENDING) | Q(
        status=Delivery.Status.SENDING, claimed_at__lt=now - lease()
    )
    touched = Delivery.objects.filter(claimable, id=delivery_id).update(
        status=Delivery.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    return touched == 1


def _transient(error: Exception) -> bool:
    """True for errors worth retrying: 4xx replies, lost or refused connections."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return bool(codes) and all(code < 500 for code in codes)
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code < 500
    # SMTPServerDisconnected, ConnectionRefusedError, timeouts: the server may come back.
    return isinstance(error, smtplib.SMTPException | OSError)


def _finish(delivery_id: int, claimed_at: datetime.datetime, **fields) -> None:
    """Record the outcome, unless the claim was lost to another worker meanwhile."""
    updated = Delivery.objects.filter(
        id=delivery_id, status=Delivery.Status.SENDING, claimed_at=claimed_at
    ).update(**fields)
    if not updated:
        logger.warning("delivery %s: claim lost before recording %s", delivery_id, fields)


def delivery_send(*, delivery_id: int, connection: BaseEmailBackend | None = None) -> Outcome:
    """Claim one delivery and send it; see the module docstring for the guarantees.

    `connection`: an open mail connection to send over (a chunk shares one), else Django
    opens one for this message."""
    now = timezone.now()
    if not delivery_claim(delivery_id=delivery_id, now=now):
        return Outcome.NOT_CLAIMED
    delivery = Delivery.objects.select_related("digest", "subscriber").get(id=delivery_id)
    subscriber = delivery.subscriber
    if subscriber is None or not subscriber.is_active:
        _finish(
            delivery_id,
            now,
            status=Delivery.Status.SKIPPED,
            error="unsubscribed or erased before sending",
        )
        return Outcome.SKIPPED
    message_id = emails.digest_message_id(digest=delivery.digest, delivery_id=delivery_id)
    try:
        message = emails.digest_message(
            digest=delivery.digest,
            recipient=subscriptions.recipient_for(subscriber),
            message_id=message_id,
        )
        if connection is not None:
            message.connection = connection
        message.send()
    except Exception as error:  # every failure is recorded on the row
        return _failed(delivery, now, error)
    _finish(
        delivery_id,
        now,
        status=Delivery.Status.SENT,
        sent_at=timezone.now(),
        error="",
        message_id=message_id,
    )
    return Outcome.SENT


def _failed(delivery: Delivery, claimed_at: datetime.datetime, error: Exception) -> Outcome:
    text = f"{type(error).__name__}: {error}"[:2000]
    if _transient(error) and delivery.attempts < MAX_ATTEMPTS:
        logger.warning("delivery %s attempt %s: %s", delivery.id, delivery.attempts, text)
        _finish(delivery.id, claimed_at, status=Delivery.Status.PENDING, error=text)
        return Outcome.RETRY
    if not isinstance(error, smtplib.SMTPException | OSError):
        logger.exception("delivery %s failed", delivery.id, exc_info=error)
    _finish(delivery.id, claimed_at, status=Delivery.Status.FAILED, error=text)
    refusal = _permanent_refusal(error)
    if refusal and delivery.subscriber is not None:
        suppressions.subscriber_suppress(email=delivery.subscriber.email, reason=refusal)
    return Outcome.FAILED


def _permanent_refusal(error: Exception) -> str:
    """The server's words when it refused the recipient for good (5xx at RCPT), else ""."""
    if not isinstance(error, smtplib.SMTPRecipientsRefused):
        return ""
    replies = [(code, reply) for code, reply in error.recipients.values() if code >= 500]
    return "; ".join(
        f"SMTP {code} {reply.decode(errors='replace') if isinstance(reply, bytes) else reply}"
        for code, reply in replies
    )


def open_quietly(connection: BaseEmailBackend) -> None:
    """(Re)open a chunk's shared connection; if the server is unreachable, each message's
    own send then meets the error and records it, as without a shared connection."""
    try:
        connection.open()
    except Exception:
        logger.warning("could not open the mail connection", exc_info=True)


def pending_for(digest_id: int) -> list[int]:
    """The ids of an issue's deliveries still to send, for the fan-out."""
    rows = Delivery.objects.filter(digest_id=digest_id, status=Delivery.Status.PENDING)
    return list(rows.order_by("id").values_list("id", flat=True))


def chunks(ids: list[int], size: int = CHUNK_SIZE) -> list[list[int]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def resumable(*, now: datetime.datetime) -> tuple[list[int], float | None]:
    """Deliveries whose task was lost: (ids to enqueue now, seconds until the next
    unfinished one would count as lost, or None when none is left).

    An unfinished delivery (pending or sending) is lost when nothing has touched it for a
    lease: not claimed since, or never claimed and created before. Younger ones have a
    task on its way (the fan-out's chunk, a backoff retry, a live worker's send).
    """
    stale = now - lease()
    unfinished = Delivery.objects.filter(
        status__in=[Delivery.Status.PENDING, Delivery.Status.SENDING]
    ).annotate(touched=Coalesce("claimed_at", "created_at"))
    ids = list(unfinished.filter(touched__lt=stale).order_by("id").values_list("id", flat=True))
    youngest = unfinished.filter(touched__gte=stale).aggregate(first=Min("touched"))["first"]
    wait = None if youngest is None else max((youngest - stale).total_seconds(), 0) + 1
    return ids, wait
