"""Named people and a small world for the tests to speak about."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, User

from timeline.models import Actor, Topic, TopicStage


def make_editor(username: str = "alice") -> User:
    """An editor: staff, in the Editors group the migration created."""
    user = User.objects.create_user(username, f"{username}@example.org", "correct horse 42")
    user.is_staff = True
    user.save()
    user.groups.add(Group.objects.get(name="Editors"))
    return user


def make_staff_without_group(username: str = "bob") -> User:
    """Staff who can log into the admin but was never made an editor."""
    return User.objects.create_user(
        username, f"{username}@example.org", "correct horse 42", is_staff=True
    )


def make_world() -> dict[str, Any]:
    """Two topics (EPCA with its stages, visa facilitation) and two actors."""
    epca = Topic.objects.create(
        slug="epca",
        name_fr="APCR",
        name_en="EPCA",
        position=1,
    )
    for order, stage in enumerate(
        ["negotiation_round", "signature", "ratification", "entry_into_force"]
    ):
        TopicStage.objects.create(topic=epca, stage=stage, order=order)
    visa = Topic.objects.create(
        slug="visa-facilitation",
        name_fr="Facilitation des visas",
        name_en="Visa facilitation",
        position=2,
    )
    vassilenko = Actor.objects.create(slug="roman-vassilenko", name="Roman Vassilenko")
    kallas = Actor.objects.create(slug="kaja-kallas", name="Kaja Kallas")
    return {"epca": epca, "visa": visa, "vassilenko": vassilenko, "kallas": kallas}


def development_fields(**overrides: Any) -> dict[str, Any]:
    """A valid development, as an editor would enter it."""
    fields: dict[str, Any] = {
        "title": "Réunion du Conseil de coopération UE–Kazakhstan",
        "summary": "Les deux parties font le point sur l'APCR.",
        "kind": "meeting",
        "date": "2026-03",
        "status": "took_place",
        "place": "Bruxelles",
        "topics": ["epca", "visa-facilitation"],
        "actors": [{"actor": "roman-vassilenko", "role": "vice-ministre"}],
        "sources": [
            {
                "publication": "Le Soir",
                "title": "Le Kazakhstan et l'UE",
                "author": "",
                "date": "2026-03-02",
                "url": "https://example.org/article",
                "quote": "Une citation.",
            }
        ],
    }
    fields.update(overrides)
    return fields
