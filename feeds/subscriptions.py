"""Subscribers: subscribe with double opt-in, signed links, preferences, unsubscribe.

Three signed links, each with its own salt so one can never stand for another:
- confirm: expires after CONFIRM_MAX_AGE and carries the preferences asked for, so a
  stranger who types someone's address can neither subscribe them nor change what an
  existing subscriber receives;
- preferences: expires after PREFERENCES_MAX_AGE (each issue carries a fresh one);
- unsubscribe: never expires, so the link in an old issue still works (RFC 8058).
They sign the subscriber's random `key`, which dies with the row when it is erased.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import BaseUserManager
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from feeds import emails
from feeds.emails import Recipient
from feeds.models import Delivery, Language, Subscriber
from timeline import selectors, text

CONFIRM_MAX_AGE = 7 * 24 * 3600
PREFERENCES_MAX_AGE = 90 * 24 * 3600
MAX_TOPICS = 100
_SLUG = re.compile(r"[-a-zA-Z0-9_]{1,64}")
RATE_WINDOW = 3600
ADDRESS_LIMIT = 3  # subscribe requests per address per hour
CLIENT_LIMIT = 20  # subscribe requests per client address per hour

_CONFIRM = "feeds.subscription.confirm"
_PREFERENCES = "feeds.subscription.preferences"
_UNSUBSCRIBE = "feeds.subscription.unsubscribe"


class RateLimited(Exception):
    """Too many subscribe requests; `field` says whether for the address or the client."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


class BadLink(Exception):
    """A signed link that is forged, expired, or for a subscriber erased since."""


# --- links ------------------------------------------------------------------------------


def _url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def confirm_token(*, subscriber: Subscriber, language: str, topics: list[str] | None) -> str:
    """The confirmation link's token; `i`, when it was issued, makes it single-use and lets
    a later unsubscribe win over it (subscription_confirm)."""
    issued = timezone.now().timestamp()
    return signing.dumps(
        {"k": str(subscriber.key), "l": language, "t": topics, "i": issued}, salt=_CONFIRM
    )


def preferences_token(subscriber: Subscriber) -> str:
    return signing.dumps({"k": str(subscriber.key)}, salt=_PREFERENCES)


def unsubscribe_token(subscriber: Subscriber) -> str:
    return signing.Signer(salt=_UNSUBSCRIBE).sign(str(subscriber.key))


def confirm_url(token: str) -> str:
    return _url(f"/subscribe/confirm/{token}/")


def preferences_url(subscriber: Subscriber) -> str:
    return _url(f"/subscribe/preferences/{preferences_token(subscriber)}/")


def unsubscribe_url(subscriber: Subscriber) -> str:
    return _url(f"/unsubscribe/{unsubscribe_token(subscriber)}/")


def _by_key(key: Any) -> Subscriber:
    subscriber = Subscriber.objects.filter(key=key).first() if isinstance(key, str) else None
    if subscriber is None:
        raise BadLink(_("This link is no longer valid: the subscription does not exist."))
    return subscriber


def _loads(token: str, salt: str, max_age: int) -> dict[str, Any]:
    try:
        data = signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired:
        raise BadLink(_("This link has expired. Please ask for a new one.")) from None
    except signing.BadSignature:
        raise BadLink(_("This link is not valid.")) from None
    if not isinstance(data, dict):
        raise BadLink(_("This link is not valid."))
    return data


def subscriber_for_preferences(token: str) -> Subscriber:
    return _by_key(_loads(token, _PREFERENCES, PREFERENCES_MAX_AGE).get("k"))


def subscriber_for_unsubscribe(token: str) -> Subscriber:
    try:
        key = signing.Signer(salt=_UNSUBSCRIBE).unsign(token)
    except signing.BadSignature:
        raise BadLink(_("This link is not valid.")) from None
    return _by_key(key)


def recipient_for(subscriber: Subscriber) -> Recipient:
    """The subscriber as the digest's renderer needs them, with their signed links.
    Prefetch their `topics` to make many recipients without a query each."""
    followed = [] if subscriber.all_topics else list(subscriber.topics.all())
    followed.sort(key=lambda topic: (topic.position, topic.slug))  # feed_topics' order
    return Recipient(
        email=subscriber.email,
        language=subscriber.language,
        topics=None if subscriber.all_topics else sorted(topic.slug for topic in followed),
        topic_names=[topic.name(subscriber.language) for topic in followed],
        unsubscribe_url=unsubscribe_url(subscriber),
        preferences_url=preferences_url(subscriber),
    )


# --- validation and rate limits ---------------------------------------------------------


def clean_preferences(*, language: Any, topics: Any) -> tuple[str, list[str] | None]:
    """(language, topic slugs or None for all topics); a ValidationError names the field."""
    if language not in Language.values:
        raise ValidationError({"language": _("Choose fr or en.")})
    if topics is None or topics == []:
        return language, None
    if (
        not isinstance(topics, list | tuple)
        or len(topics) > MAX_TOPICS
        or not all(isinstance(t, str) and _SLUG.fullmatch(t) for t in topics)
    ):
        raise ValidationError({"topics": _("Must be a list of topic slugs.")})
    slugs = sorted(set(topics))
    known = {t.slug for t in selectors.feed_topics(slugs=slugs)}
    unknown = [s for s in slugs if s not in known]
    if unknown:
        raise ValidationError(
            {"topics": _("Unknown topic: %(slugs)s.") % {"slugs": ", ".join(unknown)}}
        )
    return language, slugs


def clean_email(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError({"email": _("Enter your email address.")})
    if text.problem(value):  # a quoted local part may hold them; a To: header may not
        raise ValidationError({"email": _("Enter a valid email address.")})
    email = BaseUserManager.normalize_email(value.strip())
    if len(email) > 254:
        raise ValidationError({"email": _("At most 254 characters.")})
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": _("Enter a valid email address.")}) from None
    return email


def client_address(request: HttpRequest) -> str:
    """Who is asking, for the per-client limit: the project's one answer (settings.client_ip,
    which trusts X-Forwarded-For only as far as TRUSTED_PROXIES), else REMOTE_ADDR."""
    resolve = getattr(settings, "AXES_CLIENT_IP_CALLABLE", None)
    address = resolve(request) if callable(resolve) else ""
    return address or request.META.get("REMOTE_ADDR", "") or "unknown"


def _within(key: str, limit: int) -> bool:
    cache.add(key, 0, RATE_WINDOW)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr: this request starts a new window
        cache.set(key, 1, RATE_WINDOW)
        count = 1
    return count <= limit


def mailbox(email: str) -> str:
    """The mailbox an address reaches, for the per-address limit: case folded and without a
    `+tag` (a+1@example.org and A+2@example.org both reach a@example.org)."""
    local, _at, domain = email.rpartition("@")
    if not local.startswith('"'):
        local = local.split("+", 1)[0]
    return f"{local}@{domain}".lower()


def _check_rate(email: str, client: str) -> None:
    address = hashlib.sha256(mailbox(email).encode()).hexdigest()
    if not _within(f"feeds:subscribe:client:{client}", CLIENT_LIMIT):
        raise RateLimited(
            "client",
            _("Too many subscription requests from your network. Please try again in an hour."),
        )
    if not _within(f"feeds:subscribe:address:{address}", ADDRESS_LIMIT):
        raise RateLimited(
            "email",
            _(
                "Too many subscription requests for this address. "
                "Please check your inbox, or try again in an hour."
            ),
        )


# --- commands ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Requested:
    """A subscription asked for: who is to get the confirmation link, and what it carries."""

    email: str
    subscriber_id: int
    language: str
    topics: list[str] | None


def subscription_request(*, email: Any, language: Any, topics: Any, client: str) -> Requested:
    """Ask for a subscription; the caller sends the confirmation link whatever the
    address's state (tasks.subscription_request_and_confirm does both).

    The answer is the same for a new, pending or confirmed address, so the form tells no
    one who subscribes. A new address is stored unconfirmed; an existing one keeps its
    preferences until the link (which carries the new ones) is followed.
    """
    errors: dict[str, list[str]] = {}
    try:
        email = clean_email(email)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        language, topics = clean_preferences(language=language, topics=topics)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    _check_rate(email, client)
    subscriber = Subscriber.objects.filter(email__iexact=email).first()
    if subscriber is None:
        try:
            with transaction.atomic():
                subscriber = Subscriber.objects.create(
                    email=email, language=language, all_topics=topics is None
                )
                if topics:
                    subscriber.topics.set(selectors.feed_topics(slugs=topics))
        except IntegrityError:  # the same address, at the same moment
            subscriber = Subscriber.objects.get(email__iexact=email)
    return Requested(email=email, subscriber_id=subscriber.id, language=language, topics=topics)


def confirmation_send(*, subscriber_id: int, language: str, topics: list[str] | None) -> None:
    """Send the confirmation link (from a task). An erased subscriber gets nothing."""
    subscriber = Subscriber.objects.filter(id=subscriber_id).first()
    if subscriber is None:
        return
    token = confirm_token(subscriber=subscriber, language=language, topics=topics)
    emails.confirmation_message(
        email=subscriber.email, language=language, confirm_url=confirm_url(token)
    ).send()


def subscriber_for_confirmation(token: str) -> Subscriber:
    """Whom a confirmation link is for (BadLink if forged, expired or erased); confirms
    nothing."""
    return _by_key(_loads(token, _CONFIRM, CONFIRM_MAX_AGE).get("k"))


def subscription_confirm(*, token: str) -> Subscriber:
    """Follow a confirmation link: subscribed from now on, with the preferences it carries.

    A link works once, and only if nothing happened to the subscription since it was
    issued: the claim below is one conditional UPDATE, so an old link cannot re-subscribe
    an address that unsubscribed later, and two clicks cannot both apply.
    """
    data = _loads(token, _CONFIRM, CONFIRM_MAX_AGE)
    subscriber = _by_key(data.get("k"))
    language, topics = clean_preferences(language=data.get("l"), topics=data.get("t"))
    issued_at = data.get("i")
    if not isinstance(issued_at, int | float) or isinstance(issued_at, bool):
        raise BadLink(_("This link is not valid."))
    issued = datetime.datetime.fromtimestamp(issued_at, tz=datetime.UTC)
    now = timezone.now()
    with transaction.atomic():
        claimed = (
            Subscriber.objects.filter(pk=subscriber.pk)
            .filter(Q(confirmation_used_at__isnull=True) | Q(confirmation_used_at__lt=issued))
            .filter(Q(unsubscribed_at__isnull=True) | Q(unsubscribed_at__lt=issued))
            .update(
                confirmed_at=Coalesce(F("confirmed_at"), Value(now)),
                confirmation_used_at=now,
                unsubscribed_at=None,
            )
        )
        if not claimed:
            raise BadLink(
                _(
                    "This link was already used, or the subscription changed since it was "
                    "sent. Subscribe again to get a new one."
                )
            )
        subscriber.refresh_from_db()
        _set_preferences(subscriber, language, topics)
    return subscriber


def _set_preferences(subscriber: Subscriber, language: str, topics: list[str] | None) -> None:
    subscriber.language = language
    subscriber.all_topics = topics is None
    subscriber.save(update_fields=["language", "all_topics"])
    subscriber.topics.set(selectors.feed_topics(slugs=topics) if topics else [])


def subscription_update(*, subscriber: Subscriber, language: Any, topics: Any) -> Subscriber:
    """Change language and topics (from the preferences page)."""
    language, topics = clean_preferences(language=language, topics=topics)
    with transaction.atomic():
        _set_preferences(subscriber, language, topics)
    return subscriber


def subscription_unsubscribe(*, subscriber: Subscriber) -> Subscriber:
    """Stop at once: no further issue, and none of those still waiting to be sent."""
    with transaction.atomic():
        if subscriber.unsubscribed_at is None:
            subscriber.unsubscribed_at = timezone.now()
            subscriber.save(update_fields=["unsubscribed_at"])
        Delivery.objects.filter(subscriber=subscriber, status=Delivery.Status.PENDING).update(
            status=Delivery.Status.SKIPPED, error="unsubscribed before sending"
        )
    return subscriber
