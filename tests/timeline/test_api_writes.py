"""Writes for automation: API tokens made in the admin, POST with an Idempotency-Key,
PATCH with If-Match; and a clear answer to every bad request."""

import json
import re
from html import unescape

import pytest
from django.contrib.auth.models import User

from tests.base import assert_api_error, development_fields, make_editor, make_staff_without_group
from timeline import admin_tokens  # noqa: F401 - registers the token admin if admin.py has not
from timeline.auth import token_create
from timeline.models import ApiToken, Development, Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def token(world):
    _, raw = token_create(user=make_editor("robot"), name="Newsroom importer")
    return raw


def post(client, body, token=None, **headers):
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(
        "/api/v1/developments", data=data, content_type="application/json", headers=headers
    )


def patch(client, id, body, token=None, **headers):
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = body if isinstance(body, str) else json.dumps(body)
    return client.patch(
        f"/api/v1/developments/{id}", data=data, content_type="application/json", headers=headers
    )


def new_fields(**overrides):
    fields = development_fields(**overrides)
    return fields


# --- POST ---------------------------------------------------------------------------------


def test_it_records_a_development_as_the_tokens_user(client, token):
    response = post(client, new_fields(title="Depuis l'API"), token)
    assert response.status_code == 201
    body = response.json()
    assert body["title"] == "Depuis l'API" and body["version"] == 1
    assert response["Location"].endswith(f"/api/v1/developments/{body['id']}")
    assert response["ETag"].startswith('"1-')
    assert Event.objects.get().metadata["by"] == "robot"
    assert Event.objects.get().metadata["via"] == "api"


def test_a_retried_post_with_the_same_key_returns_the_first_development(client, token):
    first = post(client, new_fields(), token, **{"Idempotency-Key": "import-42"})
    again = post(client, new_fields(), token, **{"Idempotency-Key": "import-42"})
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert Development.objects.count() == 1
    other = post(client, new_fields(), token, **{"Idempotency-Key": "import-43"})
    assert other.json()["id"] != first.json()["id"]


def test_two_clients_using_the_same_key_do_not_collide(client, token):
    _, other_token = token_create(user=make_editor("carol"), name="Other client")
    first = post(client, new_fields(), token, **{"Idempotency-Key": "1"})
    second = post(client, new_fields(), other_token, **{"Idempotency-Key": "1"})
    assert first.json()["id"] != second.json()["id"]


def test_a_post_without_a_token_is_401_and_with_a_bad_one_too(client, world):
    assert_api_error(post(client, new_fields()), 401, "Authorization")
    response = post(client, new_fields(), "kzt_deadbeef_notthesecret")
    assert_api_error(response, 401, "Authorization")
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert_api_error(post(client, new_fields(), "garbage"), 401)
    assert_api_error(post(client, new_fields(), "kzt_%00_x"), 401)
    assert Development.objects.count() == 0


def test_a_revoked_token_no_longer_works(client, token):
    ApiToken.objects.update(revoked_at="2026-01-01T00:00:00Z")
    assert_api_error(post(client, new_fields(), token), 401)


def test_a_token_whose_user_is_not_an_editor_is_403(client, world):
    _, raw = token_create(user=make_staff_without_group("bob"), name="Bob's script")
    assert_api_error(post(client, new_fields(), raw), 403)
    assert Development.objects.count() == 0


def test_the_secret_is_never_stored(world):
    token, raw = token_create(user=make_editor("robot"), name="x")
    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert raw not in [str(v) for v in stored.values()]
    assert raw.startswith(f"kzt_{token.prefix}_")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"date": "2023-02-30"}, "date"),
        ({"date": "201X"}, "date"),
        ({"date": "2024/2020"}, "date"),
        ({"topics": ["no-such-topic"]}, "topics"),
        ({"topics": []}, "topics"),
        ({"actors": [{"actor": "nobody"}]}, "actors"),
        ({"kind": "party"}, "kind"),
        ({"stage": "wedding"}, "stage"),
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "a\x00b"}, "title"),
        ({"title": 12}, "title"),
        ({"status": "cancelled"}, "status"),
        ({"colour": "red"}, "colour"),
        ({"sources": [{"publication": "X", "url": "javascript:alert(1)"}]}, "sources"),
        ({"sources": [{"publication": "X", "quote": 3}]}, "sources.0.quote"),
        ({"topics": "epca"}, "topics"),
    ],
)
def test_bad_developments_answer_422_naming_the_field(client, token, body, field):
    assert_api_error(post(client, new_fields(**body), token), 422, field)
    assert Development.objects.count() == 0


def test_a_missing_field_is_named(client, token):
    fields = new_fields()
    del fields["title"]
    assert_api_error(post(client, fields, token), 422, "title")


@pytest.mark.parametrize("body", ["{not json", "[1, 2]", "null", '"text"', "\x00"])
def test_a_body_that_is_not_a_json_object_is_refused_clearly(client, token, body):
    response = post(client, body, token)
    assert response.status_code in (400, 422)
    assert response.json()["detail"]
    assert response.json()["errors"]


def test_a_bad_idempotency_key_is_refused(client, token):
    assert_api_error(
        post(client, new_fields(), token, **{"Idempotency-Key": "x" * 201}), 422, "Idempotency-Key"
    )
    assert_api_error(
        post(client, new_fields(), token, **{"Idempotency-Key": "clé"}), 422, "Idempotency-Key"
    )


# --- PATCH --------------------------------------------------------------------------------


@pytest.fixture
def development(client, token):
    return post(client, new_fields(status="scheduled", date="2099-04"), token).json()


def test_it_corrects_with_a_note_when_if_match_holds_the_version(client, token, development):
    response = patch(
        client,
        development["id"],
        {"place": "Astana", "note": "Mauvais lieu."},
        token,
        **{"If-Match": '"1"'},
    )
    assert response.status_code == 200
    assert response.json()["place"] == "Astana"
    assert response.json()["version"] == 2 and response.json()["corrections"] == 1
    history = client.get(f"/api/v1/developments/{development['id']}/history").json()
    assert history[-1]["note"] == "Mauvais lieu." and history[-1]["by"] in (
        "la rédaction",
        "the editors",
    )


@pytest.mark.parametrize("if_match", ["1", '"1"', 'W/"1"', "ETAG"])
def test_if_match_takes_the_version_quoted_or_not_or_the_etag(client, token, development, if_match):
    if if_match == "ETAG":
        if_match = client.get(f"/api/v1/developments/{development['id']}")["ETag"]
    response = patch(
        client,
        development["id"],
        {"title": "Autre", "note": "Titre."},
        token,
        **{"If-Match": if_match},
    )
    assert response.status_code == 200


def test_a_stale_version_is_412_with_the_conflict_and_changes_nothing(client, token, development):
    patch(client, development["id"], {"title": "Premier", "note": "n"}, token, **{"If-Match": "1"})
    response = patch(
        client, development["id"], {"title": "Second", "note": "n"}, token, **{"If-Match": "1"}
    )
    assert_api_error(response, 412, "If-Match")
    assert "now version 2" in response.json()["detail"]
    assert "robot" in response.json()["detail"]
    assert Development.objects.get().title == "Premier"


def test_a_patch_without_if_match_is_428(client, token, development):
    assert_api_error(
        patch(client, development["id"], {"title": "X", "note": "n"}, token), 428, "If-Match"
    )
    assert_api_error(
        patch(client, development["id"], {"title": "X", "note": "n"}, token, **{"If-Match": "*"}),
        428,
        "If-Match",
    )
    assert_api_error(
        patch(
            client, development["id"], {"title": "X", "note": "n"}, token, **{"If-Match": "soon"}
        ),
        422,
        "If-Match",
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "X"}, "note"),  # a public correction needs its note
        ({"date": "2023-13", "note": "n"}, "date"),
        ({"topics": ["nope"], "note": "n"}, "topics"),
        ({"action": "cancel"}, "reason"),
        ({"action": "reschedule"}, "date"),
        ({"action": "reschedule", "date": "2099-13"}, "date"),
        ({"action": "cancel", "reason": "r", "title": "x"}, "title"),
        ({"action": "explode"}, "action"),
        ({"status": "cancelled"}, "status"),
        ({"note": "rien"}, None),  # nothing changed
    ],
)
def test_bad_changes_answer_422_naming_the_field(client, token, development, body, field):
    response = patch(client, development["id"], body, token, **{"If-Match": "1"})
    assert response.status_code == 422, response.content
    assert field in [e["field"] for e in response.json()["errors"]]


def test_it_reschedules_confirms_cancels_and_retracts(client, token, development):
    id = development["id"]
    r = patch(
        client,
        id,
        {"action": "reschedule", "date": "2099-06", "note": "Reportée."},
        token,
        **{"If-Match": "1"},
    )
    assert (r.status_code, r.json()["date"], r.json()["reschedulings"]) == (200, "2099-06", 1)
    r = patch(client, id, {"action": "confirm", "date": "2099-06-12"}, token, **{"If-Match": "2"})
    assert (r.json()["status"], r.json()["date"]) == ("took_place", "2099-06-12")
    r = patch(client, id, {"action": "cancel", "reason": "r"}, token, **{"If-Match": "3"})
    assert r.status_code == 422  # it took place: only a scheduled one can be cancelled
    r = patch(
        client, id, {"action": "retract", "reason": "Source douteuse."}, token, **{"If-Match": "3"}
    )
    assert (r.json()["status"], r.json()["status_reason"]) == ("retracted", "Source douteuse.")


def test_patching_an_unknown_or_malformed_id(client, token):
    import uuid

    assert_api_error(
        patch(client, uuid.uuid4(), {"title": "X", "note": "n"}, token, **{"If-Match": "1"}),
        404,
        "id",
    )
    assert_api_error(
        patch(client, "not-a-uuid", {"title": "X", "note": "n"}, token, **{"If-Match": "1"}),
        422,
        "id",
    )


def test_patch_needs_a_token_with_the_right_to_change(client, token, development):
    assert_api_error(
        patch(client, development["id"], {"title": "X", "note": "n"}, **{"If-Match": "1"}), 401
    )
    _, raw = token_create(user=make_staff_without_group("bob"), name="Bob")
    assert_api_error(
        patch(client, development["id"], {"title": "X", "note": "n"}, raw, **{"If-Match": "1"}), 403
    )


def test_a_retried_patch_with_the_same_key_is_not_a_conflict(client, token, development):
    headers = {"If-Match": "1", "Idempotency-Key": "fix-1"}
    first = patch(client, development["id"], {"title": "Corrigé", "note": "n"}, token, **headers)
    again = patch(client, development["id"], {"title": "Corrigé", "note": "n"}, token, **headers)
    assert first.status_code == again.status_code == 200
    assert again.json()["version"] == 2
    assert Event.objects.count() == 2


# --- tokens in the admin ----------------------------------------------------------------


def test_an_editor_makes_a_token_in_the_admin_sees_it_once_and_revokes_it(client, world):
    editor = make_editor("alice")
    client.force_login(editor)
    response = client.post(
        "/admin/timeline/apitoken/add/", {"name": "Le Soir importer"}, follow=True
    )
    assert response.status_code == 200
    secret = re.search(r'<code class="api-token">([^<]+)</code>', response.content.decode()).group(
        1
    )
    secret = unescape(secret)
    token = ApiToken.objects.get()
    assert token.user == editor and token.name == "Le Soir importer"
    assert secret not in client.get(f"/admin/timeline/apitoken/{token.pk}/change/").content.decode()

    assert post(client, new_fields(), secret).status_code == 201
    token.refresh_from_db()
    assert token.last_used_at is not None

    client.post("/admin/timeline/apitoken/", {"action": "revoke", "_selected_action": [token.pk]})
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert_api_error(post(client, new_fields(), secret), 401)


def test_an_editor_sees_only_their_own_tokens(client, world):
    token_create(user=make_editor("carol"), name="Carol's")
    client.force_login(make_editor("alice"))
    page = client.get("/admin/timeline/apitoken/").content.decode()
    assert "Carol&#x27;s" not in page and "Carol's" not in page
    assert User.objects.get(username="alice").has_perm("timeline.add_apitoken")
