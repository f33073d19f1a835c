"""Topics and their threads: each topic with its stages, reached by a development that took
place or still ahead."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

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
    """One stage of an agreement topic: reached (with its first development) or ahead."""

    stage: str
    label: str
    reached: Development | None  # the first development that took place at this stage
    count: int  # how many took place at this stage (negotiation rounds are many)
    scheduled: Development | None  # the next scheduled one, for a stage still ahead
    # No development records it, but a later stage was reached, so it is behind us
    # (the sources may not mention, say, the negotiation rounds before a signature).
    passed: bool = False


@dataclass(frozen=True)
class TopicThread:
    topic: Topic
    stages: list[StageProgress]

    @property
    def reached(self) -> list[StageProgress]:
        return [s for s in self.stages if s.reached or s.passed]

    @property
    def ahead(self) -> list[StageProgress]:
        return [s for s in self.stages if not (s.reached or s.passed)]


def topic_get(*, slug: str) -> TopicThread:
    """The topic with its stages reached (by a development that took place) and ahead."""
    topic = None
    if isinstance(slug, str) and _SLUG.match(slug):
        topic = _topics().filter(slug=slug).first()
    if topic is None:
        raise TopicNotFound(slug)
    listed = [s.stage for s in topic.stages.all()]
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
    furthest = max((i for i, s in enumerate(stages) if s.reached), default=-1)
    stages = [replace(s, passed=not s.reached and i < furthest) for i, s in enumerate(stages)]
    return TopicThread(topic=topic, stages=stages)
