"""Admin logins are rate-limited: guessing passwords locks the account out for a while."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.utils import timezone

from tests.base import make_editor

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
PASSWORD = "correct horse 42"  # tests.base.make_editor's


def attempt(client: Client, username: str, password: str, **extra):
    return client.post(
        LOGIN, {"username": username, "password": password, "next": "/admin/"}, **extra
    )


def logged_in(client: Client) -> bool:
    return client.get("/admin/").status_code == 200


def test_the_nth_wrong_password_locks_out_further_attempts():
    make_editor("alice")
    client = Client()
    limit = settings.AXES_FAILURE_LIMIT
    assert limit == 5

    for _ in range(limit - 1):
        response = attempt(client, "alice", "guess")
        assert response.status_code == 200  # the form again, with its error
        assert "errornote" in response.content.decode()
    assert attempt(client, "alice", "guess").status_code == 429

    # Now even the right password is refused from this address...
    locked = attempt(client, "alice", PASSWORD)
    assert locked.status_code == 429
    assert not logged_in(client)


def test_wrong_passwords_from_elsewhere_do_not_lock_the_editor_out():
    """Usernames are public: a lockout is by username and client address, not username."""
    make_editor("alice")
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(attacker, "alice", "guess")
    assert attempt(attacker, "alice", PASSWORD).status_code == 429
    editor = Client(REMOTE_ADDR="198.51.100.7")
    assert attempt(editor, "alice", PASSWORD).status_code == 302
    assert logged_in(editor)


def test_the_lockout_ends_after_the_cool_off():
    make_editor("alice")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "alice", "guess")
    assert attempt(client, "alice", PASSWORD).status_code == 429

    # The attempts age past the cool-off (rather than the test waiting for it).
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    )
    assert attempt(client, "alice", PASSWORD).status_code == 302
    assert logged_in(client)


def test_one_address_guessing_many_usernames_is_locked_out_too():
    for name in ("alice", "bob", "carol", "dave", "erin", "frank"):
        make_editor(name)
    client = Client()
    names = ["alice", "bob", "carol", "dave", "erin"]
    statuses = [attempt(client, name, "guess").status_code for name in names]
    assert statuses[-1] == 429
    assert attempt(client, "frank", PASSWORD).status_code == 429
    # Another address is not affected by that one's guesses.
    other = Client()
    assert attempt(other, "frank", PASSWORD, REMOTE_ADDR="127.0.0.2").status_code == 302


def test_a_successful_login_clears_earlier_mistakes():
    make_editor("alice")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, "alice", "guess")
    assert attempt(client, "alice", PASSWORD).status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(client, "alice", "guess").status_code == 200
    assert attempt(client, "alice", PASSWORD).status_code == 302


def test_force_login_in_tests_is_not_affected(editor, client):
    client.force_login(editor)
    assert logged_in(client)
