"""docker-compose.yml, validated by Debian's docker-compose (no container engine runs
here), and every service's command checked against the project."""

import importlib
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
APP_SERVICES = {"migrate", "web", "worker", "beat"}


def compose(*args, cwd=ROOT, env_extra=None):
    tool = shutil.which("docker-compose")
    if tool is None:
        pytest.fail(
            "docker-compose is not installed: `apt-get install -y docker-compose` "
            "(the Makefile's test target does it when missing)",
            pytrace=False,
        )
    env = {"PATH": "/usr/bin:/bin", **(env_extra or {})}
    return subprocess.run(
        [tool, "-f", "docker-compose.yml", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def config():
    result = compose("config", env_extra={"SECRET_KEY": "only-for-validating"})
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def test_it_runs_the_production_shape(config):
    services = config["services"]
    assert set(services) == {"db", "redis", "mailpit", *APP_SERVICES}
    assert services["db"]["image"].startswith("postgres")
    assert services["redis"]["image"].startswith("redis")
    assert services["mailpit"]["image"].startswith("axllent/mailpit")
    assert any(p["target"] == 8025 for p in services["mailpit"]["ports"])  # its web view
    for name in APP_SERVICES - {"migrate"}:
        assert (
            services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        ), name
    for name in APP_SERVICES:
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://") and "@db:" in env["DATABASE_URL"]
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        assert env["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
        assert (env["EMAIL_HOST"], env["EMAIL_PORT"]) == ("mailpit", "1025")
        assert env["DEBUG"] == "false"
        assert env["SECRET_KEY"] == "only-for-validating"


def _check(argv: list[str]) -> None:
    if argv[:2] == ["sh", "-c"]:
        for part in argv[2].split("&&"):
            _check(shlex.split(part))
    elif argv[:2] == ["python", "manage.py"]:
        assert argv[2] in get_commands(), f"no management command {argv[2]!r}"
    elif argv[0] == "gunicorn":
        module, attribute = argv[1].split(":")
        assert callable(getattr(importlib.import_module(module), attribute))
        assert (BIN / "gunicorn").exists()
    elif argv[0] == "celery":
        assert argv[1:3] == ["-A", "kztrack"] and argv[3] in {"worker", "beat"}
        assert importlib.import_module("kztrack.celery").app.main == "kztrack"
        assert (BIN / "celery").exists()
    else:
        raise AssertionError(f"unknown command {argv}")


@pytest.mark.parametrize("service", sorted(APP_SERVICES))
def test_every_service_command_exists_in_the_project(config, service):
    assert config["services"][service]["build"]["context"] == str(ROOT)
    _check(config["services"][service]["command"])


def test_the_image_installs_the_project_on_python_311_slim():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.splitlines()[1] == "FROM python:3.11-slim"
    assert "pip install ." in dockerfile
    assert "collectstatic" in dockerfile


def test_the_compose_file_holds_no_secret(tmp_path):
    (tmp_path / "docker-compose.yml").write_text((ROOT / "docker-compose.yml").read_text())
    result = compose("config", cwd=tmp_path)  # no SECRET_KEY and no .env here
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
