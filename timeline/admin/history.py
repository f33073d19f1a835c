"""A development's history on its admin page: every event of its stream, silent fixes
included (editors see all of it), with what each changed, in words."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.text import Truncator
from django.utils.translation import gettext

from timeline import dates, events, selectors
from timeline.models import Development, Event, Kind, Stage, Status

# What the first row shows of a new development.
RECORDED_FIELDS = ("title", "date", "status", "topics")


@dataclass
class HistoryRow:
    """One event of the development's stream, in words for the history table."""

    entry: selectors.HistoryEntry
    label: str
    changes: list[tuple[str, str, str]]  # (field, before, after), as plain text
    note: str


def _field_label(name: str) -> str:
    return str(Development.field_label(name))


def _show(name: str, value: Any) -> str:
    """A field's value as plain text; the template escapes it."""
    if value in (None, "", []):
        return "—"
    if name == "date":
        return f"{dates.display(value, dates.current_language())} ({value})"
    if name in ("kind", "status", "stage"):
        choices = {"kind": Kind, "status": Status, "stage": Stage}[name]
        return str(dict(choices.choices).get(value, value))
    if name == "topics":
        return ", ".join(value)
    if name == "actors":
        return "; ".join(
            f"{a['actor']} ({a['role']})" if a.get("role") else a["actor"] for a in value
        )
    if name == "sources":
        return "; ".join(
            " — ".join(p for p in (s.get("publication"), s.get("title")) if p) for s in value
        )
    return Truncator(str(value)).chars(300)


def development_history(development: Development) -> list[HistoryRow]:
    """Every event of the development, silent fixes included: editors see all of it."""
    rows = []
    for entry in selectors.development_history(id=development.id, public=False):
        if entry.action == "recorded":
            recorded = events.payload(
                Event.objects.get(stream_id=development.id, version=entry.version)
            )
            changes = [(_field_label(n), "", _show(n, recorded.get(n))) for n in RECORDED_FIELDS]
        else:
            changes = [
                (_field_label(c.field), _show(c.field, c.before), _show(c.field, c.after))
                for c in entry.changes
            ]
        label = gettext("fixed silently") if entry.silent else entry.label(dates.current_language())
        rows.append(HistoryRow(entry, label, changes, entry.note or entry.reason))
    return rows
