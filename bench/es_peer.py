"""The peer for workload 1: the same development, saved by the `eventsourcing` library."""

from typing import Any

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event


class Development(Aggregate):
    @event("Recorded")
    def __init__(self, fields: dict[str, Any]):
        self.fields = fields


class Developments(Application):
    name = "BenchDevelopments"

    def record(self, fields: dict[str, Any]) -> None:
        self.save(Development(fields))
