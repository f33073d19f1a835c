"""Digests (read-only once published, with delivery counts), deliveries, subscribers.

Editors see digests and deliveries and may send themselves a test of an issue; the
subscribers' addresses are for those given the subscriber permissions (erasure is a
delete here).
"""

from email.utils import make_msgid

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from feeds import emails, tasks, weeks
from feeds.models import Delivery, Digest, Subscriber

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
            published = tasks.digest_publish_and_fan_out(week=week)
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
        "created_at",
    ]
    list_filter = [
        "language",
        "all_topics",
        ("confirmed_at", admin.EmptyFieldListFilter),
        ("unsubscribed_at", admin.EmptyFieldListFilter),
    ]
    search_fields = ["email"]
    readonly_fields = ["created_at", "confirmed_at", "unsubscribed_at"]
    filter_horizontal = ["topics"]
