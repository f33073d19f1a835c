"""The event log (the only source of truth) and the read models projected from it."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from timeline.text import multi_line, single_line
from timeline.words import split_aliases

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class Kind(models.TextChoices):
    MEETING = "meeting", _("meeting")
    VISIT = "visit", _("visit")
    AGREEMENT_STAGE = "agreement_stage", _("agreement stage")
    REFERENDUM_ELECTION = "referendum_election", _("referendum or election")
    FORUM_SUMMIT = "forum_summit", _("forum or summit")
    STATEMENT = "statement", _("statement")
    TRADE_MEASURE = "trade_measure", _("trade measure")
    APPOINTMENT = "appointment", _("appointment")
    OTHER = "other", _("other")


class Status(models.TextChoices):
    SCHEDULED = "scheduled", _("scheduled")
    TOOK_PLACE = "took_place", _("took place")
    CANCELLED = "cancelled", _("cancelled")
    RETRACTED = "retracted", _("retracted")


class ShownStatus(models.TextChoices):
    """The status readers see: a stored one, or *awaiting confirmation*, which is computed.

    A scheduled development whose latest possible day is before today (Europe/Brussels) did
    not simply stay "upcoming": until an editor confirms, cancels or reschedules it, it is
    awaiting confirmation. Nothing is stored for it; it follows the calendar.
    """

    SCHEDULED = "scheduled", _("scheduled")
    AWAITING_CONFIRMATION = "awaiting_confirmation", _("awaiting confirmation")
    TOOK_PLACE = "took_place", _("took place")
    CANCELLED = "cancelled", _("cancelled")
    RETRACTED = "retracted", _("retracted")


def shown_status(status: str, date_upper, today=None) -> str:
    """The ShownStatus value of a stored status and latest day, as of today (local time)."""
    today = today or timezone.localdate()
    if status == Status.SCHEDULED and date_upper < today:
        return ShownStatus.AWAITING_CONFIRMATION
    return status


class Stage(models.TextChoices):
    """The stages of an agreement or a negotiation, in the order they are reached."""

    MANDATE = "mandate", _("mandate")
    NEGOTIATION_ROUND = "negotiation_round", _("negotiation round")
    INITIALLING = "initialling", _("initialling")
    SIGNATURE = "signature", _("signature")
    PROVISIONAL_APPLICATION = "provisional_application", _("provisional application")
    CONSENT = "consent", _("consent")
    RATIFICATION = "ratification", _("ratification")
    ENTRY_INTO_FORCE = "entry_into_force", _("entry into force")


class Event(models.Model):
    """One fact in the append-only log.

    Rows are written only by `timeline.log.append` (and `restore`, for a backup); the
    database refuses UPDATE, DELETE and TRUNCATE (triggers in migration 0002).
    """

    position = models.BigIntegerField(primary_key=True)
    stream_id = models.UUIDField(db_index=True)
    version = models.PositiveIntegerField()
    type = models.CharField(max_length=64)
    schema_version = models.PositiveSmallIntegerField(default=1)
    data = models.JSONField()
    metadata = models.JSONField(default=dict)
    recorded_at = models.DateTimeField()
    # Also in metadata; a column of its own so the database enforces "once per key". Blank
    # is NULL, not "": events without a key must not collide (unique ignores NULLs).
    idempotency_key = models.CharField(
        max_length=200, null=True, blank=True, unique=True, editable=False
    )

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["stream_id", "version"], name="event_stream_version"),
        ]
        verbose_name = _("event")
        verbose_name_plural = _("event log")

    def __str__(self) -> str:
        return f"#{self.position} {self.type} v{self.version}"


class Topic(models.Model):
    """A thread. Reference data managed in the admin (not event-sourced)."""

    slug = models.SlugField(max_length=64, unique=True)
    name_fr = models.CharField(_("name (French)"), max_length=200, validators=[single_line])
    name_en = models.CharField(_("name (English)"), max_length=200, validators=[single_line])
    description_fr = models.TextField(
        _("description (French)"), blank=True, validators=[multi_line]
    )
    description_en = models.TextField(
        _("description (English)"), blank=True, validators=[multi_line]
    )
    position = models.PositiveSmallIntegerField(default=0)
    aliases = models.TextField(
        _("aliases"),
        blank=True,
        help_text=_("Other names readers search for, one per line (acronyms, other languages)."),
    )

    class Meta:
        ordering = ["position", "slug"]
        verbose_name = _("topic")
        verbose_name_plural = _("topics")

    def __str__(self) -> str:
        return self.name_fr

    def name(self, lang: str = "fr") -> str:
        return self.name_en if lang == "en" else self.name_fr

    def description(self, lang: str = "fr") -> str:
        return self.description_en if lang == "en" else self.description_fr


class TopicStage(models.Model):
    """A stage that an agreement or negotiation topic goes through."""

    topic = models.ForeignKey(Topic, related_name="stages", on_delete=models.CASCADE)
    stage = models.CharField(max_length=32, choices=Stage.choices)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["topic", "order"]
        constraints = [
            models.UniqueConstraint(fields=["topic", "stage"], name="topic_stage_unique"),
        ]
        verbose_name = _("stage")
        verbose_name_plural = _("stages")

    def __str__(self) -> str:
        return f"{self.topic.slug}: {self.get_stage_display()}"


class Actor(models.Model):
    """A person or an institution. Reference data managed in the admin."""

    class ActorKind(models.TextChoices):
        PERSON = "person", _("person")
        INSTITUTION = "institution", _("institution")

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(_("name"), max_length=200, validators=[single_line])
    kind = models.CharField(max_length=16, choices=ActorKind.choices, default=ActorKind.PERSON)
    description_fr = models.CharField(
        _("description (French)"), max_length=500, blank=True, validators=[single_line]
    )
    aliases = models.TextField(
        _("aliases"),
        blank=True,
        help_text=_("Other spellings readers search for, one per line (transliterations)."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("actor")
        verbose_name_plural = _("actors")

    def __str__(self) -> str:
        return self.name


class SearchAlias(models.Model):
    """Words a search treats as one (a city's former names, spellings of a place).
    Reference data managed in the admin; topics and actors carry their own aliases."""

    terms = models.TextField(
        _("terms"), help_text=_("Spellings searched as one, one per line: Astana, Nour-Soultan.")
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("search alias")
        verbose_name_plural = _("search aliases")

    def __str__(self) -> str:
        return " / ".join(split_aliases(self.terms)[:4])


class Development(models.Model):
    """Read model: the current state of one development, projected from its events.

    Never written by anything but `timeline.projections`.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    version = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"), blank=True)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    date = models.CharField(_("date (EDTF)"), max_length=64)
    date_lower = models.DateField(_("earliest day"))
    date_upper = models.DateField(_("latest day"))
    # Where the date sits in the timeline: its earliest day, except for a window known only
    # by its end ([..2025-11-24]), which sits at that end rather than in 1900.
    date_sort = models.DateField(_("day in the timeline's order"))
    date_note = models.CharField(_("note on the date"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    place = models.CharField(_("place"), max_length=200, blank=True)
    stage = models.CharField(_("stage"), max_length=32, choices=Stage.choices, blank=True)
    topics: models.ManyToManyField[Topic, DevelopmentTopic] = models.ManyToManyField(
        Topic, through="DevelopmentTopic", related_name="developments", verbose_name=_("topics")
    )
    actors: models.ManyToManyField[Actor, DevelopmentActor] = models.ManyToManyField(
        Actor, through="DevelopmentActor", related_name="developments", verbose_name=_("actors")
    )
    sources = models.JSONField(_("sources"), default=list)
    corrections = models.PositiveIntegerField(_("public corrections"), default=0)
    reschedulings = models.PositiveIntegerField(_("reschedulings"), default=0)
    status_reason = models.TextField(_("reason (cancellation or retraction)"), blank=True)
    search_text = models.TextField(blank=True, editable=False)
    first_recorded_at = models.DateTimeField(_("first recorded"))
    updated_at = models.DateTimeField(_("last changed"))
    last_position = models.BigIntegerField(_("last event position"))

    class Meta:
        ordering = ["date_sort", "id"]
        indexes = [
            models.Index(fields=["date_lower", "id"], name="development_date_id"),
            models.Index(fields=["date_sort", "id"], name="development_sort_id"),
            models.Index(fields=["status", "date_lower"], name="development_status_date"),
            models.Index(fields=["kind", "date_lower"], name="development_kind_date"),
            models.Index(fields=["updated_at"], name="development_updated"),
        ]
        verbose_name = _("development")
        verbose_name_plural = _("developments")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("timeline:development", args=[self.id])

    @property
    def shown_status(self) -> str:
        """The status readers see today: awaiting_confirmation once a scheduled date passed."""
        return shown_status(self.status, self.date_upper)

    @property
    def shown_status_label(self) -> StrOrPromise:
        return ShownStatus(self.shown_status).label

    @property
    def awaiting_confirmation(self) -> bool:
        return self.shown_status == ShownStatus.AWAITING_CONFIRMATION

    @classmethod
    def field_label(cls, name: str) -> StrOrPromise:
        """A field's verbose name, for pages that describe a change to it."""
        field = cls._meta.get_field(name)
        return getattr(field, "verbose_name", name)


class DevelopmentTopic(models.Model):
    """Read model: a development in a topic's thread."""

    development = models.ForeignKey(Development, on_delete=models.CASCADE)
    # A topic that threads developments cannot be deleted: the log names it.
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["development", "topic"], name="development_topic_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.topic.slug}: {self.development}"


class DevelopmentActor(models.Model):
    """Read model: an actor's role in a development."""

    development = models.ForeignKey(Development, related_name="roles", on_delete=models.CASCADE)
    actor = models.ForeignKey(Actor, related_name="roles", on_delete=models.PROTECT)
    role = models.CharField(_("role"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["development", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["development", "actor"], name="development_actor_unique"
            ),
        ]

    def __str__(self) -> str:
        role = f" ({self.role})" if self.role else ""
        return f"{self.actor}{role}: {self.development}"


class ProjectionState(models.Model):
    """The last log position a projection has applied."""

    name = models.CharField(max_length=64, primary_key=True)
    position = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} @ {self.position}"


class ApiToken(models.Model):
    """A client's key to the write API. The token acts as its user; only the SHA-256 of the
    secret is kept, so a leaked database does not leak working tokens."""

    name = models.CharField(_("name"), max_length=100, help_text=_("Who or what uses it."))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        related_name="api_tokens",
        on_delete=models.CASCADE,
        verbose_name=_("acts as"),
    )
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class SuspendedIndex(models.Model):
    """A read-model index or foreign key a rebuild dropped, to build (or check) once at
    its end (PostgreSQL). `definition` is the statement that puts it back.

    Kept in the database, not in the rebuilding process, so that a rebuild killed part-way
    still builds it when it is resumed (`rebuild_projections --resume`).
    """

    name = models.CharField(max_length=128, primary_key=True)
    definition = models.TextField()

    def __str__(self) -> str:
        return self.name
