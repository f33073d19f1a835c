"""Subscribers, the weekly Digest and one Delivery per (issue, subscriber).

Subscribers are ordinary rows, outside the event log: deleting one in the admin erases
the person. Their deliveries are kept for the issue's counts but lose the link
(`subscriber` becomes NULL); a Delivery never stores an address of its own.
"""

import uuid

from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class Language(models.TextChoices):
    FR = "fr", _("French")
    EN = "en", _("English")


class SubscriberQuerySet(models.QuerySet):
    def active(self) -> "SubscriberQuerySet":
        """Confirmed and not unsubscribed: the only addresses we ever send a digest to."""
        return self.filter(confirmed_at__isnull=False, unsubscribed_at__isnull=True)


class Subscriber(models.Model):
    email = models.EmailField(_("email"), max_length=254)
    # What the signed links carry: opaque, and dead once the row is erased.
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.FR
    )
    all_topics = models.BooleanField(_("all topics"), default=True)
    topics = models.ManyToManyField("timeline.Topic", blank=True, related_name="subscribers")
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed"), null=True, blank=True)
    # When a confirmation link was last followed: a link issued before it is used up.
    confirmation_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = SubscriberQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="subscriber_email_ci_unique"),
        ]
        verbose_name = _("subscriber")
        verbose_name_plural = _("subscribers")

    def __str__(self) -> str:
        return self.email

    @property
    def is_active(self) -> bool:
        return self.confirmed_at is not None and self.unsubscribed_at is None

    def topic_slugs(self) -> list[str] | None:
        """The slugs followed, or None for all topics."""
        if self.all_topics:
            return None
        return sorted(self.topics.values_list("slug", flat=True))


class Digest(models.Model):
    """One weekly issue. Frozen at publication: nothing updates `html`, `text` or `content`."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.PositiveIntegerField(_("number"), unique=True)
    week = models.CharField(_("ISO week"), max_length=8, unique=True)  # "2026-W12"
    week_start = models.DateField(_("Monday"))
    week_end = models.DateField(_("Sunday"))
    title = models.CharField(_("title"), max_length=200)
    # The structured issue (items per topic, upcoming), from which each subscriber's
    # personalised email is rendered; html and text are the full French issue.
    content = models.JSONField(default=dict)
    html = models.TextField()
    text = models.TextField()
    log_position = models.BigIntegerField(_("log position at publication"))
    published_at = models.DateTimeField(_("published"), auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        verbose_name = _("digest")
        verbose_name_plural = _("digests")
        permissions = [("send_test_digest", _("Can send a test of an issue to oneself"))]

    def __str__(self) -> str:
        return self.title


class Delivery(models.Model):
    """One issue to one subscriber; claimed with a conditional UPDATE (feeds/deliveries.py)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        # The subscriber left (unsubscribed or erased) between publication and sending.
        SKIPPED = "skipped", _("skipped")

    digest = models.ForeignKey(Digest, related_name="deliveries", on_delete=models.PROTECT)
    subscriber = models.ForeignKey(
        Subscriber, related_name="deliveries", null=True, blank=True, on_delete=models.SET_NULL
    )
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.PENDING
    )
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    error = models.TextField(_("last error"), blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["digest", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["digest", "subscriber"], name="delivery_digest_subscriber_unique"
            ),
        ]
        indexes = [models.Index(fields=["status", "claimed_at"], name="delivery_status_claimed")]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")

    def __str__(self) -> str:
        return f"#{self.digest.number} → {self.subscriber_id or 'erased'}: {self.status}"
