"""Named people and a small world for the tests to speak about."""

from __future__ import annotations

import importlib
from typing import Any

from django.apps import apps as django_apps
from django.contrib.auth.models import Group, User

from timeline import commands
from timeline.models import Actor, Development, Topic, TopicStage

# The migrations that create the Editors group and grant it its permissions, in order.
EDITORS_MIGRATIONS = (
    "timeline.migrations.0003_editors_group",
    "timeline.migrations.0005_editors_api_tokens",
    "feeds.migrations.0002_editors_permissions",
    "feeds.migrations.0004_editors_draft_permissions",
)


def editors_group() -> Group:
    """The Editors group the migrations created. A transactional test that ran before this
    one flushed the database, migration data included; then the same migration code puts
    the group back, so no test depends on the order the tests run in."""
    if not Group.objects.filter(name="Editors").exists():
        for name in EDITORS_MIGRATIONS:
            migration = importlib.import_module(name)
            forward = getattr(migration, "create_editors", None) or migration.grant
            forward(django_apps, None)
    return Group.objects.get(name="Editors")


def make_editor(username: str = "alice") -> User:
    """An editor: staff, in the Editors group the migration created."""
    user = User.objects.create_user(username, f"{username}@example.org", "correct horse 42")
    user.is_staff = True
    user.save()
    user.groups.add(editors_group())
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


def record(*, by: str = "alice", **overrides: Any) -> Development:
    """A development recorded now through the commands, as an editor in the admin would."""
    return commands.development_record(fields=development_fields(**overrides), by=by, via="admin")


def assert_api_error(response, status: int, field: str | None = None) -> None:
    """The error shape every API endpoint shares: a detail, and the input at fault named."""
    assert response.status_code == status, response.content
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    assert all(e["message"] for e in body["errors"]), body
    if field is not None:
        assert field in [e["field"] for e in body["errors"]], body
