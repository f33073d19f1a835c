"""A correction that lost a race: show the current version beside the editor's values, and
offer to re-apply the editor's change on top of the current version.

The editor's change is what they altered from the version they saw (replayed from the log),
not every field of their form: re-applying it must not undo what the other editor did.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.utils.translation import gettext

from timeline import commands, events
from timeline.admin.history import _show
from timeline.exceptions import ConcurrencyConflict
from timeline.forms import _comparable
from timeline.models import Development, Event


def state_at(*, id: uuid.UUID, version: int) -> dict[str, Any]:
    """The development as it was at `version`, replayed from its stream."""
    state: dict[str, Any] | None = None
    for event in Event.objects.filter(stream_id=id, version__lte=version).order_by("version"):
        state = events.evolve(state, event)
    return state or {}


def conflict_context(form: Any, conflict: ConcurrencyConflict) -> dict[str, Any]:
    """What the page shows: per field the editor changed, the version they saw, the current
    one and theirs; and the change to re-apply, with the current version."""
    seen = state_at(id=conflict.stream_id, version=conflict.expected)
    mine = form.development_fields()
    intended = {
        name: value
        for name, value in mine.items()
        if _comparable(name, value) != _comparable(name, seen.get(name))
    }
    rows = [
        {
            "field": str(Development.field_label(name)),
            "seen": _show(name, seen.get(name)),
            "current": _show(name, form.state.get(name)),
            "mine": _show(name, value),
            "clash": _comparable(name, form.state.get(name)) != _comparable(name, seen.get(name)),
        }
        for name, value in intended.items()
    ]
    return {
        "rows": rows,
        "changes_json": json.dumps(intended, ensure_ascii=False, default=str),
        "current_version": form.development.version,
        "note": form.cleaned_data.get("note", ""),
        "silent": form.cleaned_data.get("silent", False),
        "by": conflict.by,
    }


def reapply(model_admin: Any, request, development: Development) -> HttpResponseRedirect:
    """Run the editor's change again, on the version they were shown beside it."""
    try:
        changes = json.loads(request.POST.get("reapply_changes", "{}"))
        version = int(request.POST.get("reapply_version", ""))
    except ValueError:
        model_admin.message_user(request, gettext("The change could not be read."), messages.ERROR)
        return HttpResponseRedirect(request.path)
    try:
        corrected = commands.development_correct(
            id=development.id,
            expected_version=version,
            changes=changes,
            note=request.POST.get("reapply_note", ""),
            silent=request.POST.get("reapply_silent") == "1",
            by=request.user.get_username(),
            via="admin",
        )
    except (ValidationError, ConcurrencyConflict) as error:
        message = "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        model_admin.message_user(request, message, messages.ERROR)
        return HttpResponseRedirect(request.path)
    model_admin.log_change(request, corrected, [{"changed": {"fields": list(changes)}}])
    model_admin.message_user(
        request, gettext("Your change was applied on top of the current version."), messages.SUCCESS
    )
    return HttpResponseRedirect(request.path)
