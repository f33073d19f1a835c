"""Fixtures for feeds: subscribers, developments this week, an SMTP server, workers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.cache import cache
from django.utils import timezone

from feeds.models import Subscriber
from kztrack.celery import app as celery_app
from tests.base import make_world
from tests.base import record as record_development
from tests.feeds.smtp import SmtpServer
from timeline.models import Development

ROOT = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).parent / "celery"


def pytest_configure(config):
    config.addinivalue_line("markers", "worker: runs real Celery worker processes")


@pytest.fixture(autouse=True)
def _fresh_cache_and_eager_tasks(request):
    """Each test starts with an empty cache (rate limits, feed documents) and, unless it
    runs real workers, with tasks run in-process."""
    cache.clear()
    eager = request.node.get_closest_marker("worker") is None
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = eager
    yield
    celery_app.conf.task_always_eager = before


def subscriber(
    email: str,
    *,
    confirmed: bool = True,
    unsubscribed: bool = False,
    language: str = "fr",
    topics: list | None = None,
) -> Subscriber:
    """A subscriber in the given state (topics: Topic objects, None for all)."""
    now = timezone.now()
    person = Subscriber.objects.create(
        email=email,
        language=language,
        all_topics=topics is None,
        confirmed_at=now if confirmed else None,
        unsubscribed_at=now if unsubscribed else None,
    )
    if topics:
        person.topics.set(topics)
    return person


def record(**overrides) -> Development:
    """A development recorded now and, unless told otherwise, dated today: the week's news
    that its digest tells under Cette semaine."""
    overrides.setdefault("date", timezone.localdate().isoformat())
    return record_development(**overrides)


def record_at(moment, **overrides) -> Development:
    """A development first recorded at `moment`: the clock is frozen there while the
    command runs, as it would have been for an editor that day."""
    with time_machine.travel(moment, tick=False):
        return record(**overrides)


def change_at(moment, command, **arguments) -> Development:
    """Run a command (commands.development_correct, ...) with the clock frozen at `moment`."""
    with time_machine.travel(moment, tick=False):
        return command(by="alice", via="admin", **arguments)


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture
def over_smtp(settings, smtp):
    """Django's SMTP backend pointed at the test's aiosmtpd server; its sink."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp.port
    settings.EMAIL_TIMEOUT = 5
    return smtp.sink


@pytest.fixture
def world_tx(transactional_db):
    return make_world()


class Workers:
    """Real `celery -A kztrack worker` processes on the test database and this SMTP port."""

    def __init__(self, smtp_port: int, log_dir: Path):
        db = django_settings.DATABASES["default"]
        password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
        url = f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
        self.env = {
            **os.environ,
            "DATABASE_URL": url,
            "REDIS_URL": os.environ["REDIS_URL"],
            "CELERY_BROKER_URL": os.environ["REDIS_URL"],
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_port),
            "EMAIL_TIMEOUT": "10",
            "DIGEST_DELIVERY_LEASE_SECONDS": "3",
            "DIGEST_RETRY_BACKOFF_SECONDS": "1",
        }
        self.log_dir = log_dir
        self.processes: list[subprocess.Popen] = []

    def start(self, name: str) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "w")  # closed with the process
        process = subprocess.Popen(
            [
                str(CELERY),
                "-A",
                "kztrack",
                "worker",
                "-l",
                "info",
                "-n",
                f"{name}@%h",
                "-P",
                "prefork",
                "-c",
                "1",
                "--without-mingle",
                "--without-gossip",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: kill -9 reaches the pool too
        )
        self.processes.append(process)
        return process

    def kill(self, process: subprocess.Popen) -> None:
        """kill -9 the worker and its pool, as a crash or the OOM killer would."""
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def log(self, name: str) -> str:
        return (self.log_dir / f"{name}.log").read_text()

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)


@pytest.fixture
def workers(smtp, tmp_path):
    if not CELERY.exists():
        pytest.fail(f"celery is not installed next to {sys.executable}")
    pool = Workers(smtp.port, tmp_path)
    yield pool
    pool.stop_all()
