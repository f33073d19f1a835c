"""Developments in the admin: record, correct, reschedule, confirm, cancel and retract.

The admin never writes a read model: every form hands its input to a command in
`timeline.commands`, which appends to the log; the projections update Development. Each
development's page shows its full history, read from the log (see `history`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from timeline import dates, selectors
from timeline.admin import conflicts, object_history, sources
from timeline.admin.history import _show, development_history
from timeline.exceptions import ConcurrencyConflict, DevelopmentNotFound
from timeline.forms import (
    CancelForm,
    ConfirmForm,
    DevelopmentCorrectForm,
    DevelopmentRecordForm,
    RescheduleForm,
    RetractForm,
)
from timeline.models import Development, ShownStatus, Status

CHANGE_PERMISSION = "timeline.change_development"


@dataclass(frozen=True)
class Action:
    """A status command offered as a button on the change page."""

    name: str
    label: Any
    form: type
    statuses: tuple[str, ...]  # the statuses it applies to
    done: Any  # the message once done


ACTIONS = {
    action.name: action
    for action in (
        Action(
            "reschedule",
            _("Reschedule"),
            RescheduleForm,
            (Status.SCHEDULED,),
            _("The development was rescheduled."),
        ),
        Action(
            "confirm",
            _("Confirm it took place"),
            ConfirmForm,
            (Status.SCHEDULED,),
            _("The development is confirmed: it took place."),
        ),
        Action(
            "cancel",
            _("Cancel"),
            CancelForm,
            (Status.SCHEDULED,),
            _("The development was cancelled."),
        ),
        Action(
            "retract",
            _("Retract"),
            RetractForm,
            (Status.SCHEDULED, Status.TOOK_PLACE, Status.CANCELLED),
            _("The development was retracted."),
        ),
    )
}


class YearFilter(admin.SimpleListFilter):
    """The year a development sits in the timeline (its earliest possible day, or the end
    of a window known only by its end)."""

    title = _("year")
    parameter_name = "year"

    def lookups(self, request, model_admin):
        years = Development.objects.dates("date_sort", "year", order="DESC")
        return [(str(day.year), str(day.year)) for day in years]

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(date_sort__year=int(value))
        return queryset


class ShownStatusFilter(admin.SimpleListFilter):
    """The status as readers see it today: "awaiting confirmation" is the editors' queue of
    scheduled developments whose date has passed (confirm, cancel or reschedule them)."""

    title = _("status")
    parameter_name = "shown_status"

    def lookups(self, request, model_admin):
        return ShownStatus.choices

    def queryset(self, request, queryset):
        value = self.value()
        if value in ShownStatus.values:
            return queryset.filter(selectors.shown_status_q(value))
        return queryset


@admin.register(Development)
class DevelopmentAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "date_display",
        "kind",
        "status_display",
        "topic_list",
        "version",
        "updated_at",
    )
    list_filter = (ShownStatusFilter, "topics", "kind", YearFilter)
    search_fields = ("title", "summary", "place", "search_text")
    list_per_page = 50
    actions = None
    # Shown when a development cannot be corrected (retracted) or by view-only staff.
    readonly_fields = fields = (
        "title",
        "date_display",
        "date_note",
        "kind",
        "status_display",
        "status_reason",
        "place",
        "stage",
        "topic_list",
        "actor_list",
        "source_list",
        "summary",
        "version",
        "first_recorded_at",
        "updated_at",
    )

    class Media:
        css = {"all": ["timeline/admin.css"]}

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("topics")

    # --- columns ---

    @admin.display(description=_("date"), ordering="date_sort")
    def date_display(self, obj: Development) -> str:
        return dates.display(obj.date, dates.current_language())

    @admin.display(description=_("status"), ordering="status")
    def status_display(self, obj: Development) -> str:
        corrected = ""
        if obj.corrections:
            corrected = format_html(
                ' <span class="kz-mark kz-corrected" title="{}">✎ {}</span>',
                gettext("public corrections: %(count)s") % {"count": obj.corrections},
                gettext("corrected"),
            )
        return format_html(
            '<span class="kz-mark kz-{}">{}</span>{}',
            obj.shown_status,
            obj.shown_status_label,
            corrected,
        )

    @admin.display(description=_("topics"))
    def topic_list(self, obj: Development) -> str:
        return ", ".join(topic.name(dates.current_language()) for topic in obj.topics.all())

    @admin.display(description=_("actors"))
    def actor_list(self, obj: Development) -> str:
        return "; ".join(
            f"{r.actor.name} ({r.role})" if r.role else r.actor.name
            for r in obj.roles.select_related("actor")
        )

    @admin.display(description=_("sources"))
    def source_list(self, obj: Development) -> str:
        return _show("sources", obj.sources)

    # --- permissions: the log is append-only, so nothing is ever deleted ---

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        # A retracted development can no longer change; its page stays read-only.
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or obj.status != Status.RETRACTED)

    def save_model(self, request, obj, form, change) -> None:
        """Never: the commands wrote the log, and the projections the read model."""

    def save_related(self, request, form, formsets, change) -> None:
        """Never: see save_model."""

    def view_on_site(self, obj: Development) -> str | None:
        try:
            return obj.get_absolute_url()
        except NoReverseMatch:  # the public page is not wired yet
            return None

    # --- views ---

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        actions = [
            path(
                f"<path:object_id>/{name}/",
                self.admin_site.admin_view(self.action_view),
                {"action": name},
                name="{}_{}_{}".format(*info, name),
            )
            for name in ACTIONS
        ]
        return sources.urls(self) + actions + super().get_urls()

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = DevelopmentRecordForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and (development := self._run(request, form)):
            self.log_addition(request, development, [{"added": {}}])
            self.message_user(
                request,
                format_html(gettext("The development “{}” was recorded."), development.title),
                messages.SUCCESS,
            )
            if "_addanother" in request.POST:
                return HttpResponseRedirect(request.path)
            return self._redirect_after_save(request)
        return self._render_form(request, form, add=True, extra_context=extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        development = self.get_object(request, unquote(object_id))
        context = {**(extra_context or {})}
        if development is not None and self.has_view_or_change_permission(request, development):
            context["history"] = development_history(development)
            context["status_actions"] = self._actions_for(request, development)
        if development is None or not self.has_change_permission(request, development):
            # Not found, forbidden, or read-only: the admin's own view handles those.
            return super().change_view(request, object_id, form_url, context)
        if request.method == "POST" and "_reapply" in request.POST:
            return conflicts.reapply(self, request, development)
        form = DevelopmentCorrectForm(
            request.POST if request.method == "POST" else None, development=development
        )
        if request.method == "POST" and (corrected := self._run(request, form)):
            self.log_change(request, corrected, [{"changed": {"fields": list(form.changes())}}])
            self.message_user(
                request,
                format_html(gettext("The development “{}” was corrected."), corrected.title),
                messages.SUCCESS,
            )
            if "_continue" in request.POST:
                return HttpResponseRedirect(request.path)
            return self._redirect_after_save(request)
        if getattr(form, "conflict", None) is not None:
            context["conflict"] = conflicts.conflict_context(form, form.conflict)
        return self._render_form(request, form, add=False, obj=development, extra_context=context)

    def history_view(self, request, object_id, extra_context=None):
        return object_history.history_view(self, request, object_id, extra_context)

    def action_view(self, request, object_id, action):
        """Reschedule, confirm, cancel or retract: a small form, then the command."""
        if not request.user.has_perm(CHANGE_PERMISSION):
            raise PermissionDenied
        development = self.get_object(request, unquote(object_id))
        if development is None:
            raise Http404(gettext("No such development."))
        spec = ACTIONS[action]
        change_url = reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
            args=[development.pk],
            current_app=self.admin_site.name,
        )
        if request.method != "POST" and development.status not in spec.statuses:
            self.message_user(
                request,
                gettext("A development that is “%(status)s” cannot be changed this way.")
                % {"status": development.get_status_display()},
                messages.WARNING,
            )
            return HttpResponseRedirect(change_url)
        # A POST goes to the command even if the status moved on: it says why it refuses.
        form = spec.form(
            request.POST if request.method == "POST" else None, development=development
        )
        if request.method == "POST" and (changed := self._run(request, form)):
            self.log_change(request, changed, [{"changed": {"fields": [action]}}])
            self.message_user(request, spec.done, messages.SUCCESS)
            return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": spec.label,
            "subtitle": str(development),
            "opts": self.opts,
            "original": development,
            "date_display": dates.display(development.date, dates.current_language()),
            "form": form,
            "adminform": helpers.AdminForm(
                form,
                [(None, {"fields": [f.name for f in form.visible_fields()]})],
                {},
                model_admin=self,
            ),
            "errors": helpers.AdminErrorList(form, []),
            "media": self.media + form.media,
            "change_url": change_url,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/timeline/development/action_form.html", context)

    # --- helpers ---

    def _run(self, request, form) -> Development | None:
        """Validate the form and run its command; on refusal, put the reason on the form."""
        if not form.is_valid():
            return None
        try:
            return form.save(by=request.user.get_username())
        except ConcurrencyConflict as conflict:
            form.conflict = conflict
            form.add_error(None, str(conflict))
        except ValidationError as error:
            form.add_command_error(error)
        except DevelopmentNotFound as missing:
            form.add_error(None, str(missing))
        return None

    def _actions_for(self, request, development: Development) -> list[dict[str, Any]]:
        if not request.user.has_perm(CHANGE_PERMISSION):
            return []
        return [
            {
                "name": action.name,
                "label": action.label,
                "url": reverse(
                    f"admin:{self.opts.app_label}_{self.opts.model_name}_{action.name}",
                    args=[development.pk],
                    current_app=self.admin_site.name,
                ),
            }
            for action in ACTIONS.values()
            if development.status in action.statuses
        ]

    def _redirect_after_save(self, request):
        if self.has_view_or_change_permission(request):
            url = reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist",
                current_app=self.admin_site.name,
            )
        else:
            url = reverse("admin:index", current_app=self.admin_site.name)
        return HttpResponseRedirect(url)

    def _render_form(self, request, form, *, add: bool, obj=None, extra_context=None):
        fieldsets = [(None, {"fields": form.main_fields})]
        formsets = list(form.formsets.values())
        extra = "" if settings.DEBUG else ".min"
        media = (
            self.media
            + form.media
            + forms.Media(
                js=[
                    f"admin/js/vendor/jquery/jquery{extra}.js",
                    "admin/js/jquery.init.js",
                    "admin/js/inlines.js",
                ]
            )
        )
        context = {
            **self.admin_site.each_context(request),
            "title": (_("Record a development") if add else _("Correct a development")),
            "subtitle": str(obj) if obj else None,
            "adminform": helpers.AdminForm(form, fieldsets, {}, model_admin=self),
            "object_id": obj.pk if obj else None,
            "original": obj,
            "is_popup": False,
            "to_field": None,
            "media": media,
            "inline_admin_formsets": [],
            "row_groups": [
                _row_group(form.actor_rows, _("Actors and their roles"), _("Add another actor")),
                _row_group(form.source_rows, _("Sources"), _("Add another source")),
            ],
            "errors": helpers.AdminErrorList(form, formsets),
            "preserved_filters": self.get_preserved_filters(request),
            "show_save_and_add_another": add,
            "show_save_and_continue": not add,
            **(extra_context or {}),
        }
        if not add:
            context["correction_form"] = helpers.AdminForm(
                form,
                [(_("Correction"), {"fields": ["note", "silent"]})],
                {},
                model_admin=self,
            )
        return self.render_change_form(request, context, add=add, change=not add, obj=obj)


def _row_group(formset, heading, add_text) -> dict[str, Any]:
    """A formset of rows, with the options the admin's inlines.js needs for "add another"."""
    options = {"prefix": formset.prefix, "addText": str(add_text), "deleteText": gettext("Remove")}
    return {
        "formset": formset,
        "heading": heading,
        "inline_data": json.dumps({"name": f"#{formset.prefix}", "options": options}),
    }
