"""Sending an issue: claim a chunk of deliveries with one conditional UPDATE, send each,
record each.

The promise: every recipient frozen at publication gets the issue, once, whatever
retries, second workers or `kill -9` do; the one case where a message may go out twice
is named below, and it is the price of never skipping anyone.

How a delivery moves:
  pending ──claim──▶ sending ──250 from SMTP──▶ sent
                       │ 4xx / connection error ──▶ pending (retried with backoff)
                       │ 5xx, or MAX_ATTEMPTS used ──▶ failed
                       │ 5xx for the recipient ──▶ failed, and the subscriber suppressed
                       │ subscriber unsubscribed, suppressed or erased ──▶ skipped

1. **Claim.** `UPDATE … SET status='sending', claimed_at=now, attempts=attempts+1 WHERE
   id IN (the chunk) AND (status='pending' OR (status='sending' AND claimed_at < now -
   lease)) RETURNING id, …`. Only the rows this UPDATE returned are this worker's to
   send; a retried task, a redelivered broker message or a second worker finds them
   taken (or sent) and leaves them. The claim's time is its token: every later write is
   conditional on it, so a worker that lost its claim records nothing.
2. **The lease.** A claim older than the lease (DIGEST_DELIVERY_LEASE_SECONDS, far longer
   than one SMTP exchange can last given EMAIL_TIMEOUT) may be taken again, so a worker
   renews its claim on the rest of its chunk once it is half a lease old: a slow server
   never lets a second worker take a message the first is about to send.
3. **A dead worker's claim.** A worker killed while sending leaves its chunk's unsent
   rows in 'sending'. Once the lease has passed, `resume_deliveries` (run when a worker
   starts, and every five minutes by beat) finds the deliveries nothing has touched for
   a lease (stale claims, and pending rows whose chunk task died with the worker or the
   broker's copy) and enqueues them.
4. **The trade-off: at-least-once with a lease, not at-most-once.** SMTP gives no way to
   ask "did you get this message?", so a worker that dies after the server said 250 but
   before its UPDATE to 'sent' committed leaves a row that looks like a send that never
   happened. We resend it after the lease rather than mark it failed, because the other
   way (at-most-once) would silently skip whoever was in flight at every crash; here the
   duplicate window is only the milliseconds between the server's reply and our commit.
   That is why each message is recorded as it goes, not in batches: a batch would widen
   the window to every message sent since the last one. The resend carries the same
   Message-ID (emails.digest_message_id), so a receiving server or client that
   deduplicates on it shows one message. A kill at any other moment (before the claim,
   during the SMTP dialogue before the server's 250, after the commit) gives exactly one
   message: the tests kill a worker mid-fan-out and count.
"""

from __future__ import annotations

import collections
import datetime
import enum
import logging
import smtplib
from dataclasses import dataclass

from django.conf import settings
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection as db
from django.db.models import Min
from django.db.models.functions import Coalesce
from django.utils import timezone

from feeds import emails, subscriptions, suppressions
from feeds.models import Delivery, Digest, Subscriber

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
CHUNK_SIZE = 50
Status = Delivery.Status
TABLE = Delivery._meta.db_table


class Outcome(enum.Enum):
    SENT = "sent"
    SKIPPED = "skipped"
    FAILED = "failed"
    RETRY = "retry"  # a transient error: send again after `backoff`
    NOT_CLAIMED = "not claimed"  # sent already, or being sent by a live worker


@dataclass(frozen=True)
class Result:
    delivery_id: int
    outcome: Outcome
    attempts: int  # counting this one; 0 when not claimed


@dataclass
class _Claimed:
    """A delivery this worker holds: what sending and recording it need."""

    id: int
    digest_id: int
    subscriber_id: int | None
    attempts: int
    subscriber: Subscriber | None = None


def lease() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.DIGEST_DELIVERY_LEASE_SECONDS)


def backoff(attempts: int) -> int:
    """Seconds to wait before attempt `attempts + 1`: doubling from the configured base."""
    return settings.DIGEST_RETRY_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0)


def _placeholders(ids: list[int]) -> str:
    return ", ".join(["%s"] * len(ids))


def _returning(sql: str, params: list) -> list[tuple]:
    """Run an UPDATE … RETURNING: one statement, one round trip (PostgreSQL and SQLite)."""
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _at(moment: datetime.datetime):
    """A time as a raw query's parameter, stored as the ORM stores it."""
    return db.ops.adapt_datetimefield_value(moment)


def deliveries_claim(*, delivery_ids: list[int], now: datetime.datetime) -> list[_Claimed]:
    """Take for this worker, in one UPDATE, those of `delivery_ids` no one else holds."""
    if not delivery_ids:
        return []
    rows = _returning(
        f"UPDATE {TABLE} SET status = %s, claimed_at = %s, attempts = attempts + 1"
        f" WHERE id IN ({_placeholders(delivery_ids)})"
        " AND (status = %s OR (status = %s AND claimed_at < %s))"
        " RETURNING id, digest_id, subscriber_id, attempts",
        [
            Status.SENDING,
            _at(now),
            *delivery_ids,
            Status.PENDING,
            Status.SENDING,
            _at(now - lease()),
        ],
    )
    return sorted((_Claimed(*row) for row in rows), key=lambda claimed: claimed.id)


def delivery_claim(*, delivery_id: int, now: datetime.datetime) -> bool:
    """Take one delivery for this worker; True only if the UPDATE touched the row."""
    return bool(deliveries_claim(delivery_ids=[delivery_id], now=now))


def _renew(ids: list[int], claimed_at: datetime.datetime, now: datetime.datetime) -> set[int]:
    """Move this worker's claim on `ids` to `now`; the ids it still held."""
    rows = _returning(
        f"UPDATE {TABLE} SET claimed_at = %s"
        f" WHERE id IN ({_placeholders(ids)}) AND status = %s AND claimed_at = %s"
        " RETURNING id",
        [_at(now), *ids, Status.SENDING, _at(claimed_at)],
    )
    return {row[0] for row in rows}


def _transient(error: Exception) -> bool:
    """True for errors worth retrying: 4xx replies, lost or refused connections."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return bool(codes) and all(code < 500 for code in codes)
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code < 500
    # SMTPServerDisconnected, ConnectionRefusedError, timeouts: the server may come back.
    return isinstance(error, smtplib.SMTPException | OSError)


def _finish(ids: list[int], claimed_at: datetime.datetime, **fields) -> None:
    """Record the outcome, unless the claim was lost to another worker meanwhile."""
    updated = Delivery.objects.filter(
        id__in=ids, status=Status.SENDING, claimed_at=claimed_at
    ).update(**fields)
    if updated < len(ids):
        logger.warning("deliveries %s: claim lost before recording %s", ids, fields)


def deliveries_send(
    *, delivery_ids: list[int], connection: BaseEmailBackend | None = None
) -> list[Result]:
    """Claim a chunk of deliveries and send each over one mail connection; see the module
    docstring for the guarantees. A result per id, in order.

    1. Claim the chunk in one UPDATE … RETURNING; then load the claimed rows' issues and
       subscribers (with their topics) in three queries, whatever the chunk's size.
    2. Whoever left since publication (unsubscribed, suppressed, erased) is skipped, all
       in one UPDATE.
    3. Send each message in turn: the issue's body is rendered once per kind of reader
       (emails.digest_body), only the frame and headers are the recipient's. Record each
       as it goes, in one UPDATE. After a failure the connection is opened afresh, so one
       broken session does not fail the rest.

    `connection`: an open mail connection to send over, else Django's, opened here.
    """
    now = timezone.now()
    claimed = deliveries_claim(delivery_ids=delivery_ids, now=now)
    results: dict[int, Result] = {}
    issues = Digest.objects.defer("html", "text").in_bulk({claim.digest_id for claim in claimed})
    people = Subscriber.objects.prefetch_related("topics").in_bulk(
        {claim.subscriber_id for claim in claimed if claim.subscriber_id is not None}
    )
    to_send = []
    for claim in claimed:
        claim.subscriber = people.get(claim.subscriber_id) if claim.subscriber_id else None
        if claim.subscriber is not None and claim.subscriber.is_active:
            to_send.append(claim)
        else:
            results[claim.id] = Result(claim.id, Outcome.SKIPPED, claim.attempts)
    if results:
        _finish(
            list(results), now, status=Status.SKIPPED, error="unsubscribed or erased before sending"
        )
    if to_send:
        own = connection is None
        connection = connection or mail.get_connection()
        try:
            _send_each(to_send, issues, connection, now, results)
        finally:
            if own:
                connection.close()
    return [results.get(id, Result(id, Outcome.NOT_CLAIMED, 0)) for id in delivery_ids]


def _send_each(
    claimed: list[_Claimed],
    issues: dict[int, Digest],
    connection: BaseEmailBackend,
    claimed_at: datetime.datetime,
    results: dict[int, Result],
) -> None:
    """Send the claimed deliveries in turn, renewing the claim on those left to send once
    it is half a lease old (a slow server)."""
    held = {claim.id for claim in claimed}
    for claim in claimed:
        now = timezone.now()
        if held and now - claimed_at > lease() / 2:
            held = _renew(sorted(held), claimed_at, now)
            claimed_at = now
        if claim.id not in held:  # taken by another worker meanwhile: theirs to send
            results[claim.id] = Result(claim.id, Outcome.NOT_CLAIMED, 0)
            continue
        held.discard(claim.id)
        outcome = _send(claim, issues[claim.digest_id], connection, claimed_at)
        results[claim.id] = Result(claim.id, outcome, claim.attempts)
        if outcome is not Outcome.SENT:
            connection.close()  # opened afresh for the next message


def _send(
    claim: _Claimed, digest: Digest, connection: BaseEmailBackend, claimed_at: datetime.datetime
) -> Outcome:
    assert claim.subscriber is not None
    message_id = emails.digest_message_id(digest=digest, delivery_id=claim.id)
    try:
        message = emails.digest_message(
            digest=digest,
            recipient=subscriptions.recipient_for(claim.subscriber),
            message_id=message_id,
        )
        open_quietly(connection)
        message.connection = connection
        message.send()
    except Exception as error:  # every failure is recorded on the row
        return _failed(claim, claimed_at, error)
    _record_sent(claim.id, claimed_at, message_id)
    return Outcome.SENT


def _record_sent(delivery_id: int, claimed_at: datetime.datetime, message_id: str) -> None:
    """_finish(status=SENT, …) for the one statement every message costs, written out: a
    third of the ORM's time, which compiles the same UPDATE anew for each message."""
    with db.cursor() as cursor:
        cursor.execute(
            f"UPDATE {TABLE} SET status = %s, sent_at = %s, error = '', message_id = %s"
            " WHERE id = %s AND status = %s AND claimed_at = %s",
            [
                Status.SENT,
                _at(timezone.now()),
                message_id,
                delivery_id,
                Status.SENDING,
                _at(claimed_at),
            ],
        )
        if cursor.rowcount != 1:
            logger.warning("delivery %s: claim lost before recording it sent", delivery_id)


def delivery_send(*, delivery_id: int, connection: BaseEmailBackend | None = None) -> Outcome:
    """Claim one delivery and send it (a chunk of one)."""
    [result] = deliveries_send(delivery_ids=[delivery_id], connection=connection)
    return result.outcome


def _failed(claim: _Claimed, claimed_at: datetime.datetime, error: Exception) -> Outcome:
    text = f"{type(error).__name__}: {error}"[:2000]
    if _transient(error) and claim.attempts < MAX_ATTEMPTS:
        logger.warning("delivery %s attempt %s: %s", claim.id, claim.attempts, text)
        _finish([claim.id], claimed_at, status=Status.PENDING, error=text)
        return Outcome.RETRY
    if not isinstance(error, smtplib.SMTPException | OSError):
        logger.exception("delivery %s failed", claim.id, exc_info=error)
    _finish([claim.id], claimed_at, status=Status.FAILED, error=text)
    refusal = _permanent_refusal(error)
    if refusal and claim.subscriber is not None:
        suppressions.subscriber_suppress(email=claim.subscriber.email, reason=refusal)
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
    """The ids of an issue's deliveries still to send, for the fan-out: readers of one kind
    (language, topics) together, so that a chunk's messages share one rendering of the
    issue (emails.digest_body) instead of each worker process rendering every kind."""
    pending = Delivery.objects.filter(digest_id=digest_id, status=Status.PENDING)
    rows = pending.values_list(
        "id", "subscriber_id", "subscriber__language", "subscriber__all_topics"
    )
    followed: dict[int, list[int]] = collections.defaultdict(list)
    for subscriber_id, topic_id in Subscriber.topics.through.objects.filter(
        subscriber__deliveries__in=pending, subscriber__all_topics=False
    ).values_list("subscriber_id", "topic_id"):
        followed[subscriber_id].append(topic_id)
    ordered = sorted(
        rows,
        key=lambda row: (row[2] or "", not row[3], sorted(followed.get(row[1], [])), row[0]),
    )
    return [row[0] for row in ordered]


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
