"""Hardening, second pass: what a client can send (NUL in slugs and admin queries), text
that cannot reach a feed, tokens that follow their user, versions checked before state."""

import json
import os
import subprocess
import sys
from pathlib import Path

import feedparser
import icalendar
import pytest
from django.contrib.auth.models import Group

from feeds.models import Digest
from tests.base import assert_api_error, development_fields, make_editor, record
from timeline import commands
from timeline.auth import token_create
from timeline.models import Actor, Development, Topic

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def robot(world):
    user = make_editor("robot")
    _, raw = token_create(user=user, name="importer")
    return user, {"Authorization": f"Bearer {raw}"}


def _post(client, body, headers):
    return client.post(
        "/api/v1/developments", json.dumps(body), content_type="application/json", headers=headers
    )


def _patch(client, id, body, headers):
    return client.patch(
        f"/api/v1/developments/{id}",
        json.dumps(body),
        content_type="application/json",
        headers=headers,
    )


# --- NUL and control characters in slugs and admin queries --------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"topics": ["ep\u0000ca"]}, "topics"),
        ({"topics": ["epca", "\u0000"]}, "topics"),
        ({"actors": [{"actor": "kaja\u0000kallas", "role": ""}]}, "actors"),
        ({"actors": [{"actor": "kaja\u000bkallas", "role": ""}]}, "actors"),
    ],
)
def test_a_nul_in_a_slug_is_a_422_naming_the_field_on_post_and_patch(client, robot, change, field):
    _, headers = robot
    assert_api_error(_post(client, development_fields(**change), headers), 422, field)
    development = record()
    response = _patch(client, development.id, {**change, "note": "x"}, {**headers, "If-Match": "1"})
    assert_api_error(response, 422, field)
    assert Development.objects.count() == 1


@pytest.mark.parametrize(
    "url",
    [
        "/admin/timeline/event/?type=%00",
        "/admin/timeline/event/?via=%00",
        "/admin/timeline/development/?status=%00",
        "/admin/timeline/development/?kind=%00",
        "/admin/timeline/development/?q=%00",
        "/admin/timeline/actor/?kind=%00",
        "/admin/timeline/development/?st%00atus=x",
        "/admin/autocomplete/?app_label=timeline&model_name=developmentactor"
        "&field_name=actor&term=%00",
    ],
)
def test_a_nul_in_an_admin_query_is_a_400_not_a_500(client, world, url):
    client.force_login(make_editor())
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "control characters" in response.content.decode()


# --- topics and actors go through the one text validator ---------------------------------


@pytest.mark.parametrize("bad", ["Visa\u000bs", "Visas\uffff", "Vi\u0000sas"])
def test_an_editor_cannot_name_a_topic_or_actor_with_characters_that_are_not_text(
    client, world, bad
):
    client.force_login(make_editor())
    response = client.post(
        "/admin/timeline/topic/add/",
        {
            "slug": "new-topic",
            "name_fr": bad,
            "name_en": "ok",
            "description_fr": "",
            "description_en": "",
            "position": 9,
            "stages-TOTAL_FORMS": 0,
            "stages-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200  # the form again, with the error on the field
    assert 'class="errorlist' in response.content.decode()
    assert not Topic.objects.filter(slug="new-topic").exists()
    response = client.post(
        "/admin/timeline/actor/add/",
        {"slug": "someone", "name": bad, "kind": "person", "description_fr": ""},
    )
    assert response.status_code == 200
    assert not Actor.objects.filter(slug="someone").exists()


# --- rendering never fails on stored text --------------------------------------------------


def test_feeds_and_the_calendar_render_text_stored_before_the_rules(client, world):
    """Rows written by hand or before the validator: the feeds drop what XML cannot carry."""
    Topic.objects.filter(slug="epca").update(name_fr="APCR\u000b\uffff")
    record(title="Visite", status="scheduled", date="2099-05-04")
    Development.objects.update(title="Visite\u000b officielle\uffff", place="Astana\u0001")
    Digest.objects.create(
        number=1,
        week="2026-W10",
        week_start="2026-03-02",
        week_end="2026-03-08",
        log_position=1,
        title="Numéro 1\u000b",
        html="<p>Bonjour\uffff</p>",
        text="Bonjour\u000b",
        content={},
        published_at="2026-03-09T08:00:00Z",
    )
    for url in [
        "/feeds/timeline.rss",
        "/feeds/timeline.atom",
        "/feeds/topics/epca.rss",
        "/feeds/topics/epca.atom",
        "/feeds/digests.rss",
        "/feeds/digests.atom",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        parsed = feedparser.parse(response.content)
        assert not parsed.bozo, (url, parsed.get("bozo_exception"))
        assert "\u000b" not in response.content.decode()
    entry = feedparser.parse(client.get("/feeds/timeline.rss").content).entries[0]
    assert entry.title == "Visite officielle"
    calendar = client.get("/feeds/upcoming.ics")
    assert calendar.status_code == 200
    [event] = icalendar.Calendar.from_ical(calendar.content).walk("VEVENT")
    assert str(event["summary"]) == "Visite officielle"
    assert str(event["location"]) == "Astana"


# --- tokens carry the user's current rights ------------------------------------------------


@pytest.mark.parametrize("demotion", ["not staff", "not an editor", "inactive"])
def test_a_token_loses_its_writes_with_its_users_rights(client, robot, demotion):
    user, headers = robot
    assert _post(client, development_fields(title="Avant"), headers).status_code == 201
    if demotion == "not staff":
        user.is_staff = False
    elif demotion == "inactive":
        user.is_active = False
    user.save()
    if demotion == "not an editor":
        user.groups.remove(Group.objects.get(name="Editors"))
    response = _post(client, development_fields(title="Après"), headers)
    assert response.status_code in (401, 403)
    assert Development.objects.count() == 1


# --- a stale version is a 412 before any rule about the state -----------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"action": "cancel", "reason": "Annulé."},
        {"action": "reschedule", "date": "2099-06"},
        {"action": "confirm"},
    ],
)
def test_a_stale_if_match_is_a_412_even_when_the_state_moved_on(client, robot, body):
    _, headers = robot
    development = record(status="scheduled", date="2099-05")
    commands.development_confirm(
        id=development.id, expected_version=1, by="alice", via="admin", note=""
    )
    response = _patch(client, development.id, body, {**headers, "If-Match": '"1"'})
    assert_api_error(response, 412, "If-Match")
    assert response["ETag"] == '"2"'


# --- production settings and the health probe ----------------------------------------------


def _run(code: str, env: dict) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**base, "DJANGO_SETTINGS_MODULE": "kztrack.settings", **env},
    )


def test_production_refuses_the_public_development_secret_key(tmp_path):
    from django.conf import settings

    result = _run(
        "import django; django.setup()",
        {
            "KZTRACK_ENV": "production",
            "SECRET_KEY": settings.DEVELOPMENT_SECRET_KEY,
            "KZTRACK_VAR_DIR": str(tmp_path),
        },
    )
    assert result.returncode != 0
    assert "SECRET_KEY is the public development key" in result.stderr


def test_healthz_says_database_unavailable_and_logs_the_detail(tmp_path):
    probe = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "r = Client().get('/healthz')\n"
        "print(r.status_code, r.content.decode())\n"
    )
    result = _run(
        probe,
        {
            "DATABASE_URL": "postgres://secret_role@127.0.0.1:9/secret_db",
            "KZTRACK_VAR_DIR": str(tmp_path),
        },
    )
    assert result.returncode == 0, result.stderr
    status, body = result.stdout.strip().split(" ", 1)
    assert status == "503"
    assert json.loads(body) == {"status": "error", "database": "database unavailable"}
    assert "secret_role" not in body and "9" not in body
    assert "database is unavailable" in result.stderr


def test_the_favicon_is_served_not_a_404(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/vnd.microsoft.icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"  # an ICO header
    assert 'rel="icon" href="/favicon.ico"' in client.get("/subscribe/").content.decode()
