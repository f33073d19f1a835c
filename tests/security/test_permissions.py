"""Only the Editors group (and superusers) write developments: not anonymous visitors,
not staff who were never made editors, through neither the admin nor the API."""

import json

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from tests.base import development_fields, make_staff_without_group
from tests.timeline.test_admin import add_form_data
from timeline import auth, commands
from timeline.models import Development, Event

pytestmark = pytest.mark.django_db

ADD = "/admin/timeline/development/add/"
API = "/api/v1/developments"


@pytest.fixture
def development(world):
    return commands.development_record(
        fields=development_fields(status="scheduled"), by="carol", via="admin"
    )


@pytest.fixture
def anonymous() -> Client:
    return Client()


@pytest.fixture
def bob() -> User:
    return make_staff_without_group("bob")


def admin_writes(development, world):
    """Every admin request that would append to the log, with a valid form."""
    change = reverse("admin:timeline_development_change", args=[development.pk])
    return [
        (ADD, add_form_data(world)),
        (
            change,
            {
                **add_form_data(world, title="Autre titre"),
                "note": "n",
                "version": development.version,
            },
        ),
        *[
            (
                reverse(f"admin:timeline_development_{action}", args=[development.pk]),
                {
                    "date": "2026-12",
                    "reason": "Parce que.",
                    "note": "n",
                    "version": development.version,
                },
            )
            for action in ("reschedule", "confirm", "cancel", "retract")
        ],
    ]


def snapshot():
    return list(Event.objects.values_list("position", "version", "type"))


def test_an_anonymous_visitor_is_sent_to_the_login_page_and_writes_nothing(
    anonymous, development, world
):
    before = snapshot()
    for url, data in admin_writes(development, world):
        response = anonymous.post(url, data)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/login/"), url
    assert anonymous.get(ADD).status_code == 302
    assert snapshot() == before


def test_staff_without_the_editors_group_gets_403_and_writes_nothing(bob, development, world):
    client = Client()
    client.force_login(bob)
    before = snapshot()
    assert client.get(ADD).status_code == 403
    for url, data in admin_writes(development, world):
        assert client.post(url, data).status_code == 403, url
    assert snapshot() == before
    assert Development.objects.get().title == development.title


def test_an_editor_can_write_through_the_same_requests(editor, world):
    """The control: the refusals above are about who asks, not about the form."""
    client = Client()
    client.force_login(editor)
    assert client.post(ADD, add_form_data(world)).status_code == 302
    assert Event.objects.count() == 1


def post_api(client, token=None, **headers):
    if token:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client.post(
        API, json.dumps(development_fields()), content_type="application/json", **headers
    )


def patch_api(client, development, token=None):
    headers = {"HTTP_IF_MATCH": str(development.version)}
    if token:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client.patch(
        f"{API}/{development.id}",
        json.dumps({"action": "retract", "reason": "Non."}),
        content_type="application/json",
        **headers,
    )


def test_the_api_refuses_writes_without_a_valid_token(anonymous, bob, development):
    before = snapshot()
    assert post_api(anonymous).status_code == 401
    assert post_api(anonymous, "kzt_0000_forged").status_code == 401
    assert patch_api(anonymous, development).status_code == 401
    # An admin session is no API credential (and would be a CSRF hole if it were).
    logged_in = Client()
    logged_in.force_login(bob)
    assert post_api(logged_in).status_code == 401
    assert snapshot() == before


def test_the_api_refuses_a_token_whose_user_is_not_an_editor(anonymous, bob, development):
    _, raw = auth.token_create(user=bob, name="bob's script")
    before = snapshot()
    assert post_api(anonymous, raw).status_code == 403
    assert patch_api(anonymous, development, raw).status_code == 403
    assert snapshot() == before


def test_a_token_stops_writing_once_revoked_or_its_user_leaves_the_editors(
    anonymous, editor, world
):
    token, raw = auth.token_create(user=editor, name="alice's script")
    assert post_api(anonymous, raw).status_code == 201

    editor.groups.clear()
    assert post_api(anonymous, raw).status_code == 403

    auth.token_revoke(token=token)
    assert post_api(anonymous, raw).status_code == 401
    assert Event.objects.count() == 1


def test_tokens_are_stored_hashed(editor):
    token, raw = auth.token_create(user=editor, name="alice's script")
    secret = raw.split("_", 2)[2]
    stored = json.dumps(list(type(token).objects.values()), default=str)
    assert raw not in stored and secret not in stored


def test_a_superuser_may_write_without_the_group(anonymous, world):
    root = User.objects.create_superuser("root", "root@example.org", "pw 42 pw")
    _, raw = auth.token_create(user=root, name="root")
    assert post_api(anonymous, raw).status_code == 201
