"""One settings module reads the environment and fails loudly on bad values."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def load_settings(**env):
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings;"
            " print(settings.DATABASES['default']['ENGINE'], settings.CELERY_BROKER_URL)",
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "kztrack.settings", **env},
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("DEBUG", "maybe", "DEBUG must be a boolean"),
        ("EMAIL_PORT", "twenty-five", "EMAIL_PORT must be an integer"),
        ("DATABASE_URL", "mysql://localhost/x", "DATABASE_URL must be a URL with scheme"),
        ("REDIS_URL", "http://localhost", "REDIS_URL must be a URL with scheme"),
        ("SITE_URL", "example.org", "SITE_URL must be a URL"),
    ],
)
def test_a_bad_value_stops_start_up_with_a_message_naming_the_variable(name, value, words):
    result = load_settings(**{name: value})
    assert result.returncode != 0
    assert words in result.stderr


def test_a_fresh_checkout_defaults_to_sqlite_and_a_broker_without_a_server():
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}
    }
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings;"
            " print(settings.DATABASES['default']['ENGINE'], settings.CELERY_BROKER_URL,"
            " settings.EMAIL_BACKEND)",
        ],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "kztrack.settings"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "filesystem://",
        "django.core.mail.backends.filebased.EmailBackend",
    ]


@pytest.mark.django_db
def test_healthz_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
