"""The log, for replication: the events after a position, and where the log stands."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy

from timeline import projections
from timeline.models import Event
from timeline.selectors.timeline import _check_limit

MAX_EVENTS_LIMIT = 1000
MAX_POSITION = 2**63 - 1  # a bigint: anything larger is no position at all

# Who made a change, as readers see it: a role, never the login. Editors' usernames are
# half of their credentials (the admin's lockout is by username and address), so the log's
# `by` stays for the editors' own admin history.
ROLE_LABELS = {"editor": gettext_lazy("the editors"), "system": "kztrack"}


def public_role(metadata: dict[str, Any]) -> str:
    """The role behind an event's change: `system` for kztrack's own work, else `editor`."""
    return "system" if metadata.get("via") == "system" else "editor"


def public_author(metadata: dict[str, Any]) -> str:
    """The role behind an event's change as readers see it, in the active language."""
    return str(ROLE_LABELS[public_role(metadata)])


def events_after(*, position: int, limit: int = 100) -> list[Event]:
    """Up to `limit` events after `position`, in log order (the stored, not upcast, data).

    Appends are serialized (timeline.db.lock_log), so a reader that resumes after the last
    position it saw never misses one.
    """
    if (
        isinstance(position, bool)
        or not isinstance(position, int)
        or not (0 <= position <= MAX_POSITION)
    ):
        raise ValidationError({"after": "Must be a log position: a whole number, 0 or more."})
    limit = _check_limit(limit, MAX_EVENTS_LIMIT)
    return list(Event.objects.filter(position__gt=position).order_by("position")[:limit])


def log_head() -> tuple[int, datetime.datetime | None]:
    """The last event's position and time in one query: (0, None) for an empty log."""
    head = Event.objects.order_by("-position").values_list("position", "recorded_at").first()
    return head or (0, None)


def log_stamp() -> tuple[int, datetime.datetime | None]:
    """`log_head()` from the cache, where the projection keeps it current (one cache read);
    from the database, then cached, when it is not there."""
    key = projections.stamp_key()
    stamp = cache.get(key)
    if stamp is None:
        stamp = log_head()
        cache.add(key, stamp, projections.STAMP_SECONDS)
    return stamp


def latest_position() -> int:
    """The position of the last event in the log, 0 when it is empty."""
    last = Event.objects.order_by("-position").values_list("position", flat=True).first()
    return last or 0


def latest_change() -> datetime.datetime | None:
    """When the last event was recorded: the Last-Modified of anything read from the log
    (from the log stamp: one cache read)."""
    return log_stamp()[1]
