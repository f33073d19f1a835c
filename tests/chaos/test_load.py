"""Sixty seconds of mixed load on gunicorn (`make chaos`): readers on pages, feeds and the
API, an editor appending through the API, and a consumer following /api/v1/events.

Held means: not one error, the consumer ends holding every event exactly once and in
order, and the latency percentiles are reported (tests/artifacts/load.json).
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.base import development_fields, make_editor
from tests.chaos.conftest import ROOT, database_url
from tests.feeds.smtp import free_port, wait_for
from timeline import auth
from timeline.models import Development, Event, Topic

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DURATION = float(os.environ.get("CHAOS_LOAD_SECONDS", "60"))
READERS = 4
ARTIFACT = ROOT / "tests" / "artifacts" / "load.json"
GUNICORN = Path(sys.executable).parent / "gunicorn"


class Recorder:
    """Latencies per kind of request, and every failure."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = {}
        self.errors: list[str] = []

    def request(
        self, kind: str, url: str, *, data: bytes | None = None, headers: dict | None = None
    ) -> tuple[int, bytes]:
        request = urllib.request.Request(
            url, data=data, headers=headers or {}, method="POST" if data else "GET"
        )
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, body = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, body = error.code, error.read()
        except OSError as error:
            status, body = 0, str(error).encode()
        elapsed = time.perf_counter() - started
        with self.lock:
            self.latencies.setdefault(kind, []).append(elapsed)
            if status not in (200, 201, 304):
                self.errors.append(f"{status} {url}: {body[:200]!r}")
        return status, body

    def report(self) -> dict:
        def pct(values: list[float], p: float) -> float:
            ordered = sorted(values)
            return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000, 1)

        every = [v for values in self.latencies.values() for v in values]
        kinds = {**self.latencies, "all": every}
        return {
            kind: {
                "requests": len(v),
                "p50_ms": pct(v, 0.50),
                "p95_ms": pct(v, 0.95),
                "p99_ms": pct(v, 0.99),
                "max_ms": round(max(v) * 1000, 1),
            }
            for kind, v in kinds.items()
            if v
        }


@pytest.fixture
def gunicorn(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DEBUG": "false",
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    log = open(tmp_path / "gunicorn.log", "w")  # closed below
    process = subprocess.Popen(
        [
            str(GUNICORN),
            "kztrack.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "3",
            "--timeout",
            "60",
            "--graceful-timeout",
            "5",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    try:
        wait_for(healthy, timeout=60, what="gunicorn to answer /healthz")
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        log.close()


def test_sixty_seconds_of_mixed_load_with_no_error_and_no_event_missed(gunicorn, capsys):
    call_command("loadseed", verbosity=0)
    _, token = auth.token_create(user=make_editor("robot"), name="load")
    slugs = list(Topic.objects.values_list("slug", flat=True))
    ids = [str(i) for i in Development.objects.values_list("id", flat=True)[:20]]
    reads = [
        ("page", "/"),
        ("page", "/digests/"),
        *[("page", f"/topics/{s}/") for s in slugs[:5]],
        *[("page", f"/developments/{i}/") for i in ids[:5]],
        ("feed", "/feeds/timeline.rss"),
        ("feed", "/feeds/timeline.atom"),
        ("feed", f"/feeds/topics/{slugs[0]}.rss"),
        ("feed", "/feeds/upcoming.ics"),
        ("api", "/api/v1/timeline"),
        ("api", "/api/v1/topics"),
        ("api", f"/api/v1/timeline?topic={slugs[0]}&limit=20"),
        *[("api", f"/api/v1/developments/{i}") for i in ids[:5]],
        ("api", "/api/v1/timeline.timelinejs"),
    ]
    recorder = Recorder()
    stop = threading.Event()
    created: list[str] = []
    seen: list[int] = []

    def reader(offset: int) -> None:
        for kind, path in itertools.islice(itertools.cycle(reads), offset, None):
            if stop.is_set():
                return
            recorder.request(kind, gunicorn + path)

    def editor() -> None:
        for n in itertools.count():
            if stop.is_set():
                return
            body = json.dumps(development_fields(title=f"Sous charge {n}")).encode()
            status, answer = recorder.request(
                "append",
                f"{gunicorn}/api/v1/developments",
                data=body,
                headers={
                    "Authorization": f"Bearer {token}",
                    "Content-Type": "application/json",
                    "Idempotency-Key": f"load-{n}",
                },
            )
            if status == 201:
                created.append(json.loads(answer)["id"])
            time.sleep(0.2)

    def follow(until_stopped: bool) -> None:
        after = seen[-1] if seen else 0
        while True:
            status, answer = recorder.request(
                "events", f"{gunicorn}/api/v1/events?after={after}&limit=200"
            )
            items = json.loads(answer)["items"] if status == 200 else []
            seen.extend(item["position"] for item in items)
            after = seen[-1] if seen else after
            if not items:
                if not until_stopped or stop.is_set():
                    return
                time.sleep(0.2)

    threads = [threading.Thread(target=reader, args=(n * 7,)) for n in range(READERS)]
    threads += [threading.Thread(target=editor), threading.Thread(target=follow, args=(True,))]
    for thread in threads:
        thread.start()
    time.sleep(DURATION)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    follow(until_stopped=False)  # the consumer catches up with what was appended last

    report = {
        "seconds": DURATION,
        "appended": len(created),
        "events_seen": len(seen),
        "errors": len(recorder.errors),
        "latency": recorder.report(),
    }
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    ARTIFACT.write_text(json.dumps(report, indent=2))
    with capsys.disabled():
        print(
            f"\nload: {report['latency']['all']['requests']} requests in {DURATION:.0f}s, "
            f"p99 {report['latency']['all']['p99_ms']} ms, {len(created)} appends; "
            f"details in {ARTIFACT.relative_to(ROOT)}"
        )

    assert recorder.errors == []
    assert len(created) > 0 and len(set(created)) == len(created)
    positions = list(Event.objects.order_by("position").values_list("position", flat=True))
    assert seen == positions  # every event exactly once, in order
    assert Development.objects.filter(title__startswith="Sous charge").count() == len(created)
