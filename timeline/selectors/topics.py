"""Topics and their threads: an agreement or negotiation topic with its stages, each reached
(a development took place at it), planned (one is scheduled) or not recorded (no development
of the topic says anything of it: neither passed nor ahead)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from timeline.exceptions import TopicNotFound
from timeline.models import Development, Stage, Status, Topic

_SLUG = re.compile(r"^[-a-zA-Z0-9_]{1,64}$")


def _topics() -> QuerySet[Topic]:
    return Topic.objects.prefetch_related("stages").annotate(
        development_count=Count("developments", filter=~Q(developments__status=Status.RETRACTED))
    )


def topic_list() -> list[Topic]:
    """Every topic, in order, with its stages and `development_count` (retractions aside)."""
    return list(_topics())


@dataclass(frozen=True)
class StageProgress:
    """One stage of an agreement topic, as its developments record it."""

    stage: str
    label: str
    reached: Development | None  # the first development that took place at this stage
    count: int  # how many took place at this stage (negotiation rounds are many)
    scheduled: Development | None  # the next scheduled one, for a stage not reached

    @property
    def status(self) -> str:
        """reached, scheduled, or not_recorded (the sources say nothing of it)."""
        if self.reached:
            return "reached"
        return "scheduled" if self.scheduled else "not_recorded"


@dataclass(frozen=True)
class TopicThread:
    topic: Topic
    stages: list[StageProgress]  # empty unless the topic is an agreement or negotiation

    @property
    def reached(self) -> list[StageProgress]:
        return [s for s in self.stages if s.status == "reached"]

    @property
    def ahead(self) -> list[StageProgress]:
        """Stages a scheduled development of the topic still plans."""
        return [s for s in self.stages if s.status == "scheduled"]

    @property
    def not_recorded(self) -> list[StageProgress]:
        return [s for s in self.stages if s.status == "not_recorded"]


def topic_get(*, slug: str) -> TopicThread:
    """The topic with, if it lists stages, each stage as its own developments record it."""
    topic = None
    if isinstance(slug, str) and _SLUG.match(slug):
        topic = _topics().filter(slug=slug).first()
    if topic is None:
        raise TopicNotFound(slug)
    listed = [s.stage for s in topic.stages.all()]
    if not listed:  # not an agreement or a negotiation: no stages to show
        return TopicThread(topic=topic, stages=[])
    staged = (
        Development.objects.filter(topics=topic)
        .exclude(stage="")
        .filter(status__in=[Status.TOOK_PLACE, Status.SCHEDULED])
        .order_by("date_lower", "id")
    )
    took_place: dict[str, list[Development]] = {}
    scheduled: dict[str, Development] = {}
    for development in staged:
        if development.status == Status.TOOK_PLACE:
            took_place.setdefault(development.stage, []).append(development)
        elif development.date_upper >= timezone.localdate():
            scheduled.setdefault(development.stage, development)
    # A stage reached but not listed for the topic still shows, in the usual stage order.
    extra = [s for s in Stage.values if s in took_place and s not in listed]
    labels = dict(Stage.choices)
    stages = [
        StageProgress(
            stage=stage,
            label=str(labels[stage]),
            reached=took_place[stage][0] if stage in took_place else None,
            count=len(took_place.get(stage, [])),
            scheduled=None if stage in took_place else scheduled.get(stage),
        )
        for stage in listed + extra
    ]
    return TopicThread(topic=topic, stages=stages)
