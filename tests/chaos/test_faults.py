"""Faults with the real parts (`make chaos`): nothing is lost, nothing is done twice.

Each test runs real processes (Celery workers, management commands, redis-server, an
SMTP server) against the test database, breaks one part at a chosen moment, and checks
the end state: every subscriber holds exactly one message, the read models equal a
clean rebuild, the log holds each command once.
"""

from __future__ import annotations

import datetime
import json
import os
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
import uuid

import psycopg
import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from feeds import weeks
from feeds.models import Delivery, Digest
from tests.base import development_fields, make_editor, make_world
from tests.chaos.conftest import ROOT, Processes, database_url, subscribers
from tests.feeds.conftest import record, record_at
from tests.feeds.smtp import Sink, SmtpServer, wait_for
from timeline import auth, commands, events, log, projections
from timeline.models import Development, Event, ProjectionState

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def statuses(issue: Digest) -> dict[str, int]:
    rows = issue.deliveries.values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}


def assert_each_got_exactly_one(sink: Sink, readers) -> None:
    counts = {r.email: len(sink.received_by(r.email)) for r in readers}
    assert {email: n for email, n in counts.items() if n != 1} == {}
    assert sink.count() == len(readers)


# --- 1. Redis restarted in the middle of a digest fan-out ------------------------------


def test_redis_restarted_mid_fan_out_loses_no_one_and_sends_nobody_twice(
    processes, own_redis, smtp
):
    make_world()
    readers = subscribers(150)
    development = record(title="Conseil de coopération UE–Kazakhstan")
    sink = smtp.sink
    sink.hold_rcpt_number = 30  # the fan-out stops at the 30th message until released

    processes.start("worker")
    processes.manage(
        "publish_digest", "--force", "--week", weeks.week_of(development.first_recorded_at)
    )
    issue = Digest.objects.get()
    wait_for(lambda: sink.held, timeout=90, what="the fan-out to reach the 30th message")

    # The broker dies with the queued chunks in it (no persistence), and comes back empty.
    own_redis.restart(down_for=2)
    sink.gate.set()
    pending = statuses(issue).get("pending", 0)
    assert pending > 0, statuses(issue)  # work was lost with the broker

    # Beat's next resume tick (every 5 minutes, and at every worker start) finds the
    # deliveries whose task the broker lost; the worker, reconnected, sends them.
    processes.celery_call("feeds.tasks.resume_deliveries")
    wait_for(
        lambda: statuses(issue) == {"sent": 150},
        timeout=240,
        what="every delivery to be sent after the restart",
    )
    assert_each_got_exactly_one(sink, readers)
    assert len({m["Message-ID"] for _, m in sink.messages}) == 150


# --- 2. A rebuild of the projections killed with SIGKILL --------------------------------


def _fill_log(streams: int) -> None:
    """`streams` developments, a third of them corrected, through the log's door (as the
    seed would), projected inline."""
    base = commands.clean_fields(development_fields(), partial=False)
    for n in range(streams):
        stream = uuid.uuid4()
        log.append(
            stream_id=stream,
            expected_version=0,
            type=events.RECORDED,
            data={**base, "title": f"Développement {n}", "status": "took_place"},
            by="seed",
            via="seed",
        )
        if n % 3 == 0:
            log.append(
                stream_id=stream,
                expected_version=1,
                type=events.CORRECTED,
                data={"changes": {"place": f"Astana {n}"}, "note": "Lieu.", "silent": False},
                by="alice",
                via="admin",
            )


def _checkpoint() -> int:
    state = ProjectionState.objects.filter(name=projections.NAME).first()
    return state.position if state else 0


def _kill_rebuild_midway(env: dict) -> int:
    """Start `rebuild_projections`, SIGKILL it once it is part-way; the checkpoint then."""
    last = Event.objects.count()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "rebuild_projections", "--batch-size", "25"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for(
            lambda: 0 < _checkpoint() < last // 2, timeout=60, what="the rebuild to be part-way"
        )
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    return _checkpoint()


def test_a_rebuild_killed_mid_way_ends_like_a_clean_one(tmp_path):
    make_world()
    _fill_log(3000)
    clean = projections.read_model_checksum()
    env = {**os.environ, "DATABASE_URL": database_url()}

    # Killed part-way: the read models are half built, the checkpoint says how far.
    at = _kill_rebuild_midway(env)
    assert 0 < at < Event.objects.count()
    assert projections.read_model_checksum() != clean

    # The next rebuild (--resume: from the checkpoint) ends in the clean state.
    subprocess.run(
        [sys.executable, "manage.py", "rebuild_projections", "--resume"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    assert projections.read_model_checksum() == clean

    # Killed again, then an editor's append: its inline catch-up applies the remainder
    # first, and the result is what a clean rebuild of the same log gives.
    _kill_rebuild_midway(env)
    commands.development_record(
        fields=development_fields(title="Après la panne"), by="alice", via="admin"
    )
    after_append = projections.read_model_checksum()
    projections.reset()
    projections.catch_up()
    assert projections.read_model_checksum() == after_append
    assert Development.objects.count() == 3001


# --- 3. The database connection dropped during an append --------------------------------


def _post(url: str, body: dict, headers: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, {**dict(response.headers), **json.loads(response.read())}
    except urllib.error.HTTPError as error:
        return error.code, {}


def test_a_connection_dropped_mid_append_fails_cleanly_and_the_retry_records_once(live_server):
    make_world()
    _, token = auth.token_create(user=make_editor("robot"), name="importer")
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "import-2026-03-27-01"}
    url = f"{live_server.url}/api/v1/developments"
    body = development_fields(title="Signature de l'APCR")
    name = connection.settings_dict["NAME"]

    with psycopg.connect(database_url(), autocommit=True) as other:
        # Hold the log's lock, so the append waits inside its transaction...
        other.execute("SELECT pg_advisory_lock(%s)", [events.APPEND_LOCK_KEY])
        outcome: dict = {}
        client = threading.Thread(target=lambda: outcome.update(first=_post(url, body, headers)))
        client.start()
        waiting = (
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND wait_event_type = "
            "'Lock' AND query ILIKE '%%pg_advisory_xact_lock%%'"
        )

        def appender():
            row = other.execute(waiting, [name]).fetchone()
            return row[0] if row else None

        wait_for(lambda: appender() is not None, timeout=30, what="the append to wait")
        # ... and drop its connection there, from another one.
        other.execute("SELECT pg_terminate_backend(%s)", [appender()])
        other.execute("SELECT pg_advisory_unlock(%s)", [events.APPEND_LOCK_KEY])
        client.join(timeout=60)

    status, _ = outcome["first"]
    assert status >= 500  # the client learns it failed ...
    assert Event.objects.count() == 0  # ... and nothing half-done was left behind
    assert Development.objects.count() == 0

    # The client retries with the same key: recorded once; a second retry replays it.
    status, first = _post(url, body, headers)
    assert status == 201
    status, again = _post(url, body, headers)
    assert status == 201 and again["id"] == first["id"]
    assert again.get("Idempotent-Replayed") == "true"
    assert Event.objects.count() == 1


# --- 4. Two beats at once ---------------------------------------------------------------


def test_two_beats_firing_at_once_still_make_one_issue_sent_once(processes, smtp):
    make_world()
    readers = subscribers(20)
    last_week = timezone.now() - datetime.timedelta(days=7)
    record_at(last_week, title="Visite de Kaja Kallas à Astana")
    week = weeks.previous_week(timezone.now())

    processes.start("worker-a")
    processes.start("worker-b")
    # Two beats send the Monday task at the same tick; an operator runs the command too.
    racers = [
        threading.Thread(
            target=processes.celery_call, args=("feeds.tasks.publish_last_weeks_digest",)
        )
        for _ in range(2)
    ]
    racers += [
        threading.Thread(
            target=processes.manage, args=("publish_digest", "--force", "--week", week)
        )
        for _ in range(2)
    ]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(timeout=120)

    wait_for(
        lambda: Digest.objects.filter(week=week).exists(),
        timeout=60,
        what="the issue to be published",
    )
    issue = Digest.objects.get(week=week)
    wait_for(
        lambda: statuses(issue) == {"sent": 20},
        timeout=180,
        what="the issue to be sent to everyone",
    )
    assert Digest.objects.count() == 1 and issue.number == 1
    assert Delivery.objects.count() == 20
    assert_each_got_exactly_one(sink=smtp.sink, readers=readers)


# --- 5. SMTP refusing for a while -------------------------------------------------------


class RefusingSink(Sink):
    """Answers 421 (try again later) to every recipient while `refusing` is set."""

    refusing = True

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refusing:
            return "421 4.3.2 Service not available, closing transmission channel"
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)


def test_smtp_down_then_refusing_then_back_sends_everyone_once(own_redis, tmp_path):
    make_world()
    readers = subscribers(30)
    development = record(title="Forum d'Astana")
    server = SmtpServer()  # its port is chosen, but nothing listens on it yet
    sink = server.sink = RefusingSink()
    server.controller = Controller(sink, hostname="127.0.0.1", port=server.port)
    pool = Processes(server.port, own_redis.url, tmp_path)
    try:
        pool.start("worker")
        pool.manage(
            "publish_digest", "--force", "--week", weeks.week_of(development.first_recorded_at)
        )
        issue = Digest.objects.get()

        # 1. The server is down: every delivery fails once and waits for its retry.
        wait_for(
            lambda: not issue.deliveries.filter(attempts=0).exists(),
            timeout=120,
            what="every delivery to have been tried against the dead server",
        )
        assert statuses(issue).get("sent", 0) == 0
        # 2. It comes back but refuses everyone with 421 for a while ...
        with server:
            wait_for(
                lambda: Delivery.objects.filter(error__contains="421").exists(),
                timeout=60,
                what="a 421 refusal to be recorded",
            )
            # 3. ... then accepts: the retries send the rest.
            sink.refusing = False
            wait_for(
                lambda: statuses(issue) == {"sent": 30},
                timeout=240,
                what="every delivery to be sent once the server accepts",
            )
            assert_each_got_exactly_one(sink, readers)
            assert all(d.attempts >= 2 for d in issue.deliveries.all())
    finally:
        pool.stop_all()
