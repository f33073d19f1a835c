"""The log is append-only in the database itself: raw SQL cannot change or remove events."""

import os
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import DatabaseError, connection, transaction

from tests.base import development_fields
from timeline import commands
from timeline.models import Event

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def one_event(world):
    commands.development_record(fields=development_fields(), by="alice", via="admin")
    return Event.objects.get()


def run_raw(sql):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE timeline_event SET type = 'Tampered'",
        "UPDATE timeline_event SET data = '{}' WHERE position = 1",
        "DELETE FROM timeline_event",
        "DELETE FROM timeline_event WHERE position = 1",
        "TRUNCATE timeline_event",
        "TRUNCATE timeline_event CASCADE",
    ],
)
def test_postgresql_refuses_to_change_or_remove_events(one_event, sql):
    assert connection.vendor == "postgresql", "make test runs on PostgreSQL"
    with pytest.raises(DatabaseError, match="append-only"):
        run_raw(sql)
    event = Event.objects.get()
    assert (event.type, event.data) == (one_event.type, one_event.data)


def test_sqlite_refuses_to_change_or_remove_events(tmp_path):
    """Migrate a fresh SQLite database, then try raw statements through sqlite3 itself."""
    path = tmp_path / "log.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}", "KZTRACK_VAR_DIR": str(tmp_path)}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    db = sqlite3.connect(path)
    db.execute(
        "INSERT INTO timeline_event (position, stream_id, version, type, schema_version, data,"
        " metadata, recorded_at) VALUES (1, ?, 1, 'DevelopmentRecorded', 2, '{}', '{}',"
        " '2026-01-01 00:00:00')",
        [uuid.uuid4().hex],
    )
    db.commit()
    for sql in (
        "UPDATE timeline_event SET type = 'Tampered'",
        "DELETE FROM timeline_event WHERE position = 1",
        "DELETE FROM timeline_event",
    ):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute(sql)
    assert db.execute("SELECT count(*), min(type) FROM timeline_event").fetchone() == (
        1,
        "DevelopmentRecorded",
    )


def test_positions_are_gap_free_and_versions_count_per_stream(world):
    a = commands.development_record(fields=development_fields(), by="alice", via="admin")
    b = commands.development_record(fields=development_fields(), by="alice", via="admin")
    commands.development_correct(
        id=a.id, expected_version=1, changes={"title": "A"}, note="n", by="alice", via="admin"
    )
    rows = list(Event.objects.values_list("position", "stream_id", "version"))
    assert rows == [(1, a.id, 1), (2, b.id, 1), (3, a.id, 2)]


def test_two_events_cannot_share_a_stream_version(one_event):
    with pytest.raises(DatabaseError), transaction.atomic():
        Event.objects.create(
            position=2,
            stream_id=one_event.stream_id,
            version=1,
            type=one_event.type,
            data={},
            metadata={},
            recorded_at=one_event.recorded_at,
        )
