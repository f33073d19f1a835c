"""The event log in the admin: read-only for everyone, filtered by type and by channel."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from timeline import log
from timeline.models import Event


class ViaFilter(admin.SimpleListFilter):
    title = _("via")
    parameter_name = "via"

    def lookups(self, request, model_admin):
        return [(via, via) for via in log.VIA_CHOICES]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(metadata__via=self.value())
        return queryset


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """The log, read-only for everyone: only `timeline.log.append` and `restore` write it."""

    list_display = ("position", "type", "stream_id", "version", "by", "via", "recorded_at")
    list_filter = ("type", ViaFilter)
    search_fields = ("stream_id",)
    actions = None
    fields = readonly_fields = (
        "position",
        "stream_link",
        "version",
        "type",
        "schema_version",
        "recorded_at",
        "data_json",
        "metadata_json",
    )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("by"))
    def by(self, obj: Event) -> str:
        return obj.metadata.get("by", "")

    @admin.display(description=_("via"))
    def via(self, obj: Event) -> str:
        return obj.metadata.get("via", "")

    @admin.display(description=_("stream"))
    def stream_link(self, obj: Event) -> str:
        try:
            url = reverse("admin:timeline_development_change", args=[obj.stream_id])
        except NoReverseMatch:
            return str(obj.stream_id)
        return format_html('<a href="{}">{}</a>', url, obj.stream_id)

    @admin.display(description=_("data"))
    def data_json(self, obj: Event) -> str:
        return _pretty(obj.data)

    @admin.display(description=_("metadata"))
    def metadata_json(self, obj: Event) -> str:
        return _pretty(obj.metadata)


def _pretty(value: Any) -> str:
    return format_html(
        '<pre class="kz-json">{}</pre>',
        json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True),
    )
