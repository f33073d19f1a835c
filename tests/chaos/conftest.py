"""Real processes for the fault runs (`make chaos`): a Redis of our own that a test may
kill and restart (never the machine's shared one), Celery workers, an SMTP server, and
management commands run as separate processes against the test database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings as django_settings
from django.core.cache import cache
from django.utils import timezone

from feeds.models import Subscriber
from tests.feeds.conftest import Workers
from tests.feeds.smtp import SmtpServer, free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).parent / "celery"
REDIS_SERVER = "/usr/bin/redis-server"


def database_url() -> str:
    """The test database, for processes started by the test."""
    db = django_settings.DATABASES["default"]
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


class RedisServer:
    """A throwaway redis-server on a free port, without persistence: a restart loses
    whatever the broker held, the harshest case."""

    def __init__(self, log_dir: Path):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log = log_dir / f"redis-{self.port}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--logfile",
                str(self.log),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        wait_for(lambda: _pings(client), timeout=10, what="redis-server to start")

    def kill(self) -> None:
        """SIGKILL: no chance to save anything (there is nothing to save anyway)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def restart(self, down_for: float = 2.0) -> None:
        self.kill()
        time.sleep(down_for)  # the outage the workers must ride out
        self.start()


def _pings(client) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


@pytest.fixture
def own_redis(tmp_path):
    if not os.access(REDIS_SERVER, os.X_OK):
        pytest.fail(f"{REDIS_SERVER} is missing (Debian's redis-server)")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    if server.process and server.process.poll() is None:
        server.kill()


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


class Processes(Workers):
    """Workers and management commands on the test database, the given SMTP port, and
    our own Redis as broker and cache."""

    def __init__(self, smtp_port: int, broker: str, log_dir: Path):
        super().__init__(smtp_port, log_dir)
        self.env.update(
            {"DATABASE_URL": database_url(), "REDIS_URL": broker, "CELERY_BROKER_URL": broker}
        )

    def manage(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=check,
            timeout=300,
        )

    def celery_call(self, task: str) -> None:
        """Send a task through the broker, as beat does on its tick."""
        subprocess.run(
            [str(CELERY), "-A", "kztrack", "call", task],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )


@pytest.fixture
def processes(smtp, own_redis, tmp_path):
    if not CELERY.exists():
        pytest.fail(f"celery is not installed next to {sys.executable}")
    pool = Processes(smtp.port, own_redis.url, tmp_path)
    yield pool
    pool.stop_all()


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


def subscribers(count: int) -> list[Subscriber]:
    """`count` confirmed subscribers to every topic."""
    now = timezone.now()
    return Subscriber.objects.bulk_create(
        [Subscriber(email=f"reader{n:04d}@example.org", confirmed_at=now) for n in range(count)]
    )
