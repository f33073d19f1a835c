"""What the timeline raises for callers to answer: a missing development or topic, and a
change made on a stale version. Read and write sides both use these, so they live apart
from either."""

from __future__ import annotations

import datetime
import uuid
from typing import Any


class DevelopmentNotFound(Exception):
    def __init__(self, id: Any):
        super().__init__(f"No development with id {id}.")
        self.id = id


class TopicNotFound(Exception):
    def __init__(self, slug: str):
        super().__init__(f"No topic {slug!r}.")
        self.slug = slug


class ConcurrencyConflict(Exception):
    """The stream moved on since the caller read it: their change would overwrite another."""

    def __init__(
        self,
        *,
        stream_id: uuid.UUID,
        expected: int,
        actual: int,
        by: str = "",
        at: datetime.datetime | None = None,
    ):
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual
        self.by = by
        self.at = at
        who = ""
        if at is not None:
            who = f" by {by or 'someone'} at {at.strftime('%Y-%m-%d %H:%M')}"
        super().__init__(
            f"This development was changed{who} (now version {actual}) since you opened "
            f"version {expected}. Reload it and apply your change again."
        )


class ProjectionFailed(Exception):
    """An event the projection handlers cannot apply (a restored payload no command made)."""

    def __init__(self, position: int, error: Exception):
        super().__init__(f"event at position {position} cannot be projected: {error!r}")
        self.position = position
        self.error = error
