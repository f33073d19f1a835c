"""Production settings: `check --deploy` is clean, and the switch refuses unsafe starts.

Each case runs Django in its own process with the environment a deployment would have,
so the settings module is read exactly as gunicorn would read it.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# What a production host sets (README, "Deploying"); the database is irrelevant to these.
PRODUCTION = {
    "KZTRACK_ENV": "production",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "DEBUG": "false",
    "SITE_URL": "https://kztrack.example.org",
}

# A request through Django's test client, printing what a browser would receive.
PROBE = r"""
import json, django
django.setup()
from django.test import Client
client = Client()
out = {}
for name, path, extra in [
    ("healthz", "/healthz", {}),
    ("login_http", "/admin/login/", {}),
    ("login_https", "/admin/login/", {"HTTP_X_FORWARDED_PROTO": "https"}),
]:
    r = client.get(path, **extra)
    out[name] = {
        "status": r.status_code,
        "location": r.headers.get("Location", ""),
        "headers": {k.lower(): v for k, v in r.headers.items()},
        "cookies": {k: {"secure": bool(m["secure"]), "httponly": bool(m["httponly"])}
                    for k, m in r.cookies.items()},
    }
print(json.dumps(out))
"""


def run(args, env, tmp_path):
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "SECRET_KEY", "DEBUG", "KZTRACK_ENV"}
    }
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**base, "KZTRACK_VAR_DIR": str(tmp_path), **env},
    )


def test_it_passes_the_deploy_check_with_the_production_environment(tmp_path):
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], PRODUCTION, tmp_path
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_it_refuses_to_start_in_production_without_a_secret_key(tmp_path):
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = run(["manage.py", "check"], env, tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_it_refuses_debug_in_production(tmp_path):
    result = run(["manage.py", "check"], {**PRODUCTION, "DEBUG": "true"}, tmp_path)
    assert result.returncode != 0
    assert "DEBUG must be off" in result.stderr


def test_it_names_an_unknown_environment(tmp_path):
    result = run(["manage.py", "check"], {"KZTRACK_ENV": "prod"}, tmp_path)
    assert result.returncode != 0
    assert "KZTRACK_ENV must be development or production" in result.stderr


def test_development_needs_no_secret(tmp_path):
    result = run(["manage.py", "check"], {}, tmp_path)
    assert result.returncode == 0, result.stderr


def test_production_redirects_to_https_and_sends_the_security_headers(tmp_path):
    result = run(
        ["-c", PROBE], {**PRODUCTION, "DJANGO_SETTINGS_MODULE": "kztrack.settings"}, tmp_path
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)

    # Load balancers probe over plain HTTP; everything else moves to HTTPS.
    assert seen["healthz"]["status"] == 200
    assert seen["login_http"]["status"] == 301
    assert seen["login_http"]["location"].startswith("https://")

    # Behind the proxy (X-Forwarded-Proto: https) the page is served, locked down.
    https = seen["login_https"]
    assert https["status"] == 200
    headers = https["headers"]
    assert headers["strict-transport-security"] == ("max-age=31536000; includeSubDomains; preload")
    csp = headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert https["cookies"]["csrftoken"]["secure"]
