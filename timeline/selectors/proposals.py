"""The editors' desk, read side: the proposer fed with what the timeline already knows."""

from __future__ import annotations

import datetime

from timeline.models import Actor, Development, Status, Topic
from timeline.proposals.proposer import (
    ExistingDevelopment,
    KnownActor,
    KnownTopic,
    Proposal,
    propose,
)


def known_actors() -> list[KnownActor]:
    """Every actor, with its name as written and the other spellings its description quotes."""
    return [
        KnownActor(slug=a.slug, name=a.name, kind=a.kind, aliases=_spellings(a.description_fr))
        for a in Actor.objects.order_by("slug")
    ]


def _spellings(description: str) -> tuple[str, ...]:
    """'… orthographié « Romain Vassilenko » dans une source' → ('Romain Vassilenko',)."""
    if "orthographi" not in description:
        return ()
    found = []
    rest = description
    while "«" in rest and "»" in rest.split("«", 1)[1]:
        inner, rest = rest.split("«", 1)[1].split("»", 1)
        found.append(inner.strip())
    return tuple(found)


def existing_developments() -> list[ExistingDevelopment]:
    """Recorded developments (retractions aside) as the proposer compares them."""
    qs = (
        Development.objects.exclude(status=Status.RETRACTED)
        .prefetch_related("actors")
        .only("id", "title", "date", "date_lower", "date_upper")
    )
    return [
        ExistingDevelopment(
            id=str(d.id),
            title=d.title,
            date=d.date,
            lower=d.date_lower,
            upper=d.date_upper,
            actors=tuple(a.slug for a in d.actors.all()),
        )
        for d in qs
    ]


def desk_proposals(
    *, text: str, published: str | datetime.date | None, publication: str = "", lang: str = "fr"
) -> list[Proposal]:
    """The proposals for a source text, matched against the known actors, topics and records."""
    return propose(
        text,
        published=published,
        publication=publication,
        lang=lang,
        actors=known_actors(),
        topics=[KnownTopic(slug=t.slug, name=t.name_fr) for t in Topic.objects.all()],
        existing=existing_developments(),
    )
