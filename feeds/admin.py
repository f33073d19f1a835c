"""Digests (read-only once published, with delivery counts), the drafts editors prepare,
deliveries, subscribers.

Editors prepare the next issue in its draft (introduction, lead, items moved up or
hidden), preview it in both languages, as HTML and text, for all topics or one, and send
themselves a test; they see digests and deliveries. The subscribers' addresses are for
those given the subscriber permissions (erasure is a delete here).
"""

from email.utils import make_msgid

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from feeds import digests, emails, tasks, weeks
from feeds.models import Delivery, Digest, DigestDraft, DraftFrozen, Subscriber
from timeline import selectors

STATUSES = [s.value for s in Delivery.Status]


class PublishForm(forms.Form):
    week = forms.CharField(
        label=_("ISO week"),
        max_length=8,
        help_text=_("For example 2026-W12. By default, last week."),
    )

    def clean_week(self):
        week = self.cleaned_data["week"].strip()
        try:
            weeks.week_parse(week)
        except weeks.InvalidWeek as error:
            raise forms.ValidationError(str(error)) from None
        return week


@admin.register(Digest)
class DigestAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "week",
        "title",
        "published_at",
        "sent",
        "waiting",
        "failed",
        "skipped",
    ]
    readonly_fields = [
        "number",
        "week",
        "week_start",
        "week_end",
        "title",
        "published_at",
        "log_position",
        "delivery_counts",
        "preview",
    ]
    exclude = ["content", "html", "text"]
    actions = ["send_test"]
    change_list_template = "feeds/admin/digest_change_list.html"

    def get_queryset(self, request):
        counts = {s: Count("deliveries", filter=Q(deliveries__status=s)) for s in STATUSES}
        return super().get_queryset(request).annotate(**{f"n_{s}": c for s, c in counts.items()})

    @admin.display(description=_("sent"), ordering="n_sent")
    def sent(self, obj):
        return obj.n_sent

    @admin.display(description=_("pending or sending"))
    def waiting(self, obj):
        return obj.n_pending + obj.n_sending

    @admin.display(description=_("failed"), ordering="n_failed")
    def failed(self, obj):
        if not obj.n_failed:
            return 0
        url = reverse("admin:feeds_delivery_changelist")
        return format_html(
            '<a href="{}?digest__id__exact={}&status__exact=failed">{}</a>',
            url,
            obj.pk,
            obj.n_failed,
        )

    @admin.display(description=_("skipped"))
    def skipped(self, obj):
        return obj.n_skipped

    @admin.display(description=_("deliveries"))
    def delivery_counts(self, obj):
        return ", ".join(f"{s}: {getattr(obj, f'n_{s}')}" for s in STATUSES)

    @admin.display(description=_("issue as published"))
    def preview(self, obj):
        # Our own rendering, frozen at publication; editors' text in it was escaped then.
        return mark_safe(obj.html)

    def has_add_permission(self, request):
        return False  # published by the week, from the publish page or the command

    def has_change_permission(self, request, obj=None):
        return False  # frozen

    def has_delete_permission(self, request, obj=None):
        return False

    def has_send_test_digest_permission(self, request):
        return request.user.has_perm("feeds.send_test_digest")

    def has_publish_permission(self, request):
        return request.user.has_perm("feeds.add_digest")

    @admin.action(description=_("Send me a test of this issue"), permissions=["send_test_digest"])
    def send_test(self, request, queryset):
        if not request.user.email:
            self.message_user(request, _("Your account has no email address."), messages.ERROR)
            return
        lang = "en" if (get_language() or "fr").startswith("en") else "fr"
        recipient = emails.Recipient(
            email=request.user.email,
            language=lang,
            topics=None,
            topic_names=[],
            unsubscribe_url=f"{settings.SITE_URL}/subscribe/",
            preferences_url=f"{settings.SITE_URL}/subscribe/",
        )
        for digest in queryset:
            message = emails.digest_message(
                digest=digest,
                recipient=recipient,
                test=True,
                message_id=make_msgid(f"test-{digest.number}", domain=settings.SITE_DOMAIN),
            )
            try:
                message.send()
            except Exception as error:  # shown to the editor
                self.message_user(
                    request,
                    _("Could not send issue %(n)s: %(error)s")
                    % {"n": digest.number, "error": error},
                    messages.ERROR,
                )
            else:
                self.message_user(
                    request,
                    _("Issue %(n)s sent to %(email)s.")
                    % {"n": digest.number, "email": request.user.email},
                )

    def get_urls(self):
        publish = self.admin_site.admin_view(self.publish_view)
        return [path("publish/", publish, name="feeds_digest_publish"), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_publish": self.has_publish_permission(request),
        }
        return super().changelist_view(request, extra_context)

    def publish_view(self, request):
        """Publish a week's issue now (the beat does it on Mondays)."""
        if not self.has_publish_permission(request):
            raise PermissionDenied
        initial = {"week": weeks.previous_week(timezone.now())}
        form = PublishForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            week = form.cleaned_data["week"]
            try:
                published = tasks.digest_publish_and_fan_out(week=week)
            except digests.WeekInProgress as error:
                self.message_user(request, str(error), messages.ERROR)
                return redirect("admin:feeds_digest_changelist")
            if published.digest is None:
                self.message_user(
                    request,
                    _("Nothing happened in %(week)s: no issue.") % {"week": week},
                    messages.WARNING,
                )
            elif published.created:
                self.message_user(
                    request,
                    _("Issue %(n)s published for %(week)s; sending has started.")
                    % {"n": published.digest.number, "week": week},
                )
            else:
                self.message_user(
                    request,
                    _("%(week)s already has issue %(n)s.")
                    % {"n": published.digest.number, "week": week},
                    messages.WARNING,
                )
            return redirect("admin:feeds_digest_changelist")
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "opts": self.model._meta,
            "title": _("Publish a digest"),
        }
        return TemplateResponse(request, "feeds/admin/digest_publish.html", context)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "digest",
        "subscriber_id",
        "status",
        "attempts",
        "claimed_at",
        "sent_at",
        "short_error",
    ]
    list_filter = ["status", "digest"]
    list_select_related = ["digest"]
    readonly_fields = [
        "digest",
        "subscriber_id",
        "status",
        "attempts",
        "claimed_at",
        "sent_at",
        "error",
        "message_id",
        "created_at",
    ]
    exclude = ["subscriber"]

    @admin.display(description=_("last error"))
    def short_error(self, obj):
        return obj.error[:80]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    """Deleting a subscriber erases them; their deliveries stay, unlinked, for the counts."""

    list_display = [
        "email",
        "language",
        "all_topics",
        "confirmed_at",
        "unsubscribed_at",
        "suppressed_at",
        "created_at",
    ]
    list_filter = [
        "language",
        "all_topics",
        ("confirmed_at", admin.EmptyFieldListFilter),
        ("unsubscribed_at", admin.EmptyFieldListFilter),
        ("suppressed_at", admin.EmptyFieldListFilter),
    ]
    search_fields = ["email"]
    readonly_fields = [
        "created_at",
        "confirmed_at",
        "unsubscribed_at",
        "suppressed_at",
        "suppression_reason",
    ]
    filter_horizontal = ["topics"]


# --- the draft of the next issue ---------------------------------------------------------


class DraftForm(forms.Form):
    """The editors' word on a week's issue. One row per item of the issue as it stands:
    a position (1 comes first in its section; empty keeps the natural order) and hide."""

    introduction = forms.CharField(
        label=_("Editors' introduction"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6, "cols": 80}),
        help_text=_("Plain text; a blank line starts a new paragraph."),
    )
    lead = forms.ChoiceField(label=_("Lead development (À la une)"), required=False)

    def __init__(self, *args, items: list[dict], **kwargs):
        super().__init__(*args, **kwargs)
        self.items = items
        lead = self.fields["lead"]
        assert isinstance(lead, forms.ChoiceField)
        lead.choices = [("", "—")] + [(i["id"], i["title"]) for i in items]
        for item in items:
            self.fields[f"position_{item['id']}"] = forms.IntegerField(
                required=False, min_value=1, max_value=999, label=_("position")
            )
            self.fields[f"hide_{item['id']}"] = forms.BooleanField(required=False, label=_("hide"))

    def rows(self):
        for item in self.items:
            yield item, self[f"position_{item['id']}"], self[f"hide_{item['id']}"]

    def save(self, draft: DigestDraft, *, by: str) -> None:
        data = self.cleaned_data
        placed = [
            (data[f"position_{item['id']}"], n, item["id"])
            for n, item in enumerate(self.items)
            if data[f"position_{item['id']}"] is not None
        ]
        draft.introduction = data["introduction"]
        draft.lead = data["lead"] or None
        draft.order = [id for _pos, _n, id in sorted(placed)]
        draft.hidden = [item["id"] for item in self.items if data[f"hide_{item['id']}"]]
        draft.updated_by = by
        draft.save()


def _initial(draft: DigestDraft, items: list[dict]) -> dict:
    initial: dict = {"introduction": draft.introduction, "lead": str(draft.lead or "")}
    for n, id in enumerate(draft.order, start=1):
        initial[f"position_{id}"] = n
    for id in draft.hidden:
        initial[f"hide_{id}"] = True
    return initial


def _draft_items(week: str, draft: DigestDraft) -> list[dict]:
    """Every item the week's issue could hold, hidden ones included, so editors can bring
    one back; the archive is not arranged by hand."""
    unhidden = DigestDraft(week=week, introduction="", lead=draft.lead, order=draft.order)
    return digests.candidates(digests.digest_content(week=week, draft=unhidden))


def _editor_recipient(request, lang: str, topic: str | None) -> emails.Recipient:
    names = (
        [t.name_en if lang == "en" else t.name_fr for t in selectors.feed_topics(slugs=[topic])]
        if topic
        else []
    )
    return emails.Recipient(
        email=request.user.email or "editor@example.org",
        language=lang,
        topics=[topic] if topic else None,
        topic_names=names,
        unsubscribe_url=f"{settings.SITE_URL}/subscribe/",
        preferences_url=f"{settings.SITE_URL}/subscribe/",
    )


@admin.register(DigestDraft)
class DigestDraftAdmin(admin.ModelAdmin):
    """Drafts are edited on their own page (`draft_view`): the form there follows the
    week's items as the log stands now, which a ModelForm cannot."""

    list_display = ["week", "updated_by", "updated_at", "published_as"]
    change_list_template = "feeds/admin/draft_change_list.html"

    @admin.display(description=_("published as"))
    def published_as(self, obj):
        return obj.digest.number if obj.digest_id else "—"

    def has_add_permission(self, request):
        return False  # opened by week, from "Prepare the next issue"

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("next/", wrap(self.next_view), name="feeds_digestdraft_next"),
            path("<str:week>/edit/", wrap(self.draft_view), name="feeds_digestdraft_edit"),
            path("<str:week>/preview/", wrap(self.preview_view), name="feeds_digestdraft_preview"),
            path(
                "<str:week>/send-test/",
                wrap(self.send_test_view),
                name="feeds_digestdraft_send_test",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        draft = DigestDraft.objects.filter(pk=object_id).first()
        if draft is None:
            return super().change_view(request, object_id, form_url, extra_context)
        return redirect("admin:feeds_digestdraft_edit", week=draft.week)

    def _week(self, week: str) -> str:
        try:
            weeks.week_parse(week)
        except weeks.InvalidWeek as error:
            raise Http404(str(error)) from None
        return week

    def next_view(self, request):
        """The draft of the week in progress: the issue the next Monday beat publishes."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        return redirect("admin:feeds_digestdraft_edit", week=weeks.week_of(timezone.now()))

    def draft_view(self, request, week):
        if not self.has_view_permission(request):
            raise PermissionDenied
        week = self._week(week)
        draft = DigestDraft.objects.filter(week=week).first() or DigestDraft(week=week)
        items = _draft_items(week, draft)
        form = DraftForm(request.POST or None, items=items, initial=_initial(draft, items))
        status = 200
        if request.method == "POST":
            if not self.has_change_permission(request):
                raise PermissionDenied
            if draft.is_frozen:
                self.message_user(
                    request,
                    _("Issue %(n)s is published: its draft can no longer change.")
                    % {"n": draft.digest.number},
                    messages.ERROR,
                )
                status = 409
            elif form.is_valid():
                try:
                    form.save(draft, by=request.user.get_username())
                except DraftFrozen:
                    self.message_user(
                        request,
                        _("This issue was published meanwhile: the draft was not changed."),
                        messages.ERROR,
                    )
                    status = 409
                else:
                    self.message_user(request, _("Draft saved."))
                    return redirect("admin:feeds_digestdraft_edit", week=week)
            else:
                status = 400
        monday, sunday = weeks.week_days(week)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Issue of %(week)s") % {"week": emails.week_in_words(monday, sunday, "fr")},
            "draft": draft,
            "form": form,
            "week": week,
            "frozen": draft.is_frozen,
            "topics": selectors.feed_topics(),
            "can_change": self.has_change_permission(request) and not draft.is_frozen,
            "can_send_test": request.user.has_perm("feeds.send_test_digest"),
        }
        return TemplateResponse(request, "feeds/admin/digest_draft.html", context, status=status)

    def _message(self, request, week: str, *, test: bool) -> emails.EmailMultiAlternatives:
        """The issue as it would go out now, for the editor: the published one once it is."""
        lang = request.GET.get("lang") or request.POST.get("lang") or "fr"
        lang = lang if lang in emails.WORDS else "fr"
        topic = request.GET.get("topic") or request.POST.get("topic") or None
        if topic is not None and selectors.feed_topic(slug=topic) is None:
            raise Http404(f"No topic {topic!r}.")
        draft = DigestDraft.objects.filter(week=week).select_related("digest").first()
        if draft is not None and draft.digest is not None:
            content, number = draft.digest.content, draft.digest.number
        else:
            content = digests.digest_content(week=week, draft=draft)
            number = digests.next_number()
        return emails.issue_message(
            content=content,
            number=number,
            recipient=_editor_recipient(request, lang, topic),
            message_id=make_msgid(f"test-{week}", domain=settings.SITE_DOMAIN),
            test=test,
        )

    def preview_view(self, request, week):
        """The email as a subscriber would read it: ?lang=fr|en, ?format=html|text,
        ?topic=<slug> for a subscriber of that topic alone (all topics without it)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        message = self._message(request, self._week(week), test=False)
        if request.GET.get("format") == "text":
            return HttpResponse(message.body, content_type="text/plain; charset=utf-8")
        html = next(
            content for content, mimetype in message.alternatives if mimetype == "text/html"
        )
        return HttpResponse(html)

    def send_test_view(self, request, week):
        """One message to the editor's own address, marked as a test; no Delivery."""
        if request.method != "POST":
            return redirect("admin:feeds_digestdraft_edit", week=week)
        if not request.user.has_perm("feeds.send_test_digest"):
            raise PermissionDenied
        week = self._week(week)
        if not request.user.email:
            self.message_user(request, _("Your account has no email address."), messages.ERROR)
            return redirect("admin:feeds_digestdraft_edit", week=week)
        try:
            self._message(request, week, test=True).send()
        except Exception as error:  # shown to the editor
            self.message_user(
                request, _("Could not send the test: %(error)s") % {"error": error}, messages.ERROR
            )
        else:
            self.message_user(request, _("Test sent to %(email)s.") % {"email": request.user.email})
        return redirect("admin:feeds_digestdraft_edit", week=week)
