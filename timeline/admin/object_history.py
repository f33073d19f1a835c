"""Django's "History" page for a development, told from the log as the development's page
tells it ("Reprogrammé", "Confirmé : a eu lieu", with what changed and the note), instead of
the admin's LogEntry messages ("Changed reschedule")."""

from __future__ import annotations

from typing import Any

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils.translation import gettext

from timeline.admin.history import development_history


def history_view(model_admin: Any, request, object_id: str, extra_context=None):
    development = model_admin.get_object(request, unquote(object_id))
    if development is None:
        return model_admin._get_obj_does_not_exist_redirect(request, model_admin.opts, object_id)
    if not model_admin.has_view_or_change_permission(request, development):
        raise PermissionDenied
    context = {
        **model_admin.admin_site.each_context(request),
        "title": gettext("History: %s") % development.title,
        "subtitle": None,
        "module_name": str(model_admin.opts.verbose_name_plural).capitalize(),
        "object": development,
        "opts": model_admin.opts,
        "history": development_history(development),
        **(extra_context or {}),
    }
    return TemplateResponse(request, "admin/timeline/development/object_history.html", context)
