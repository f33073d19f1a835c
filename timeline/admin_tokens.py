"""API tokens in the admin: an editor makes one, copies its secret from the message shown
once, and revokes it when the client no longer needs it. Tokens are never deleted, so the
log's `by` keeps meaning something."""

from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from timeline.auth import token_prepare, token_revoke
from timeline.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "prefix", "user__username")
    readonly_fields = ("prefix", "created_at", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def get_fields(self, request, obj=None):
        fields = ["name"]
        if request.user.is_superuser and obj is None:
            fields.append("user")  # a superuser may make a token for an automation account
        if obj is not None:
            fields += ["user", *self.readonly_fields]
        return fields

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "user"] if obj is not None else []

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("user")
        return qs if request.user.is_superuser else qs.filter(user=request.user)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            obj.save()
            return
        if not (request.user.is_superuser and obj.user_id):
            obj.user = request.user
        secret = token_prepare(obj)
        obj.save()
        messages.warning(
            request,
            format_html(
                '{} <code class="api-token">{}</code>',
                _("Copy this token now: it will not be shown again."),
                secret,
            ),
        )

    @admin.action(description=_("Revoke the selected tokens"), permissions=["change"])
    def revoke(self, request, queryset):
        revoked = sum(token_revoke(token=token) for token in queryset)
        self.message_user(
            request,
            ngettext("%(n)d token revoked.", "%(n)d tokens revoked.", revoked) % {"n": revoked},
        )
