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
        """Confirmed, not unsubscribed, not suppressed: the only addresses we ever send a
        digest to."""
        return self.filter(
            confirmed_at__isnull=False, unsubscribed_at__isnull=True, suppressed_at__isnull=True
        )


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
    # A permanent failure (an SMTP 5xx, an ESP's bounce or complaint) stops future issues;
    # the reason is what the server or the ESP said, for the admin.
    suppressed_at = models.DateTimeField(_("suppressed"), null=True, blank=True)
    suppression_reason = models.TextField(_("suppression reason"), blank=True)

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
        return (
            self.confirmed_at is not None
            and self.unsubscribed_at is None
            and self.suppressed_at is None
        )

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


class DraftFrozen(Exception):
    """The draft's issue is published: it never changes again."""


class DigestDraft(models.Model):
    """What editors prepare for a week's issue before it goes out: an introduction, a lead
    development, and items moved up or hidden. Publication reads it as it stands and links
    it to the issue; from then on it is frozen (`save` refuses)."""

    week = models.CharField(_("ISO week"), max_length=8, unique=True)
    introduction = models.TextField(_("editors' introduction"), blank=True)
    lead = models.UUIDField(_("lead development"), null=True, blank=True)
    # Development ids, in the order editors want them first within their section.
    order = models.JSONField(default=list, blank=True)
    hidden = models.JSONField(default=list, blank=True)
    updated_by = models.CharField(_("updated by"), max_length=150, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    digest = models.OneToOneField(
        Digest,
        null=True,
        blank=True,
        related_name="draft",
        on_delete=models.PROTECT,
        verbose_name=_("published as"),
    )

    class Meta:
        ordering = ["-week"]
        verbose_name = _("digest draft")
        verbose_name_plural = _("digest drafts")

    def __str__(self) -> str:
        return self.week

    def save(self, *args, **kwargs):
        # Once the issue is linked (at publication), any save is an edit of a frozen draft.
        if (
            self.pk is not None
            and DigestDraft.objects.filter(pk=self.pk, digest__isnull=False).exists()
        ):
            raise DraftFrozen(f"the issue of {self.week} is published: its draft is frozen")
        super().save(*args, **kwargs)

    @property
    def is_frozen(self) -> bool:
        return self.digest_id is not None


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
