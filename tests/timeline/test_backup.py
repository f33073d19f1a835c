"""The log is the backup: export it, restore it into an empty database, get the same timeline.

The source is a second PostgreSQL database this module creates (and drops), filled by a
separate process through the commands, as a production site would be; its export is then
restored into the (empty) test database and, from stdin, into a fresh SQLite file.
"""

import io
import json
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import dj_database_url
import psycopg
import pytest
from django.core.management import CommandError, call_command

from timeline import backup, projections
from timeline.models import Actor, Development, Event, Topic

ROOT = Path(__file__).resolve().parents[2]

# Run in the source database's own process: what an editor and the API would have written,
# including an event from an older schema and text that JSON must carry exactly.
FILL_SOURCE = r"""
import uuid, datetime
import django; django.setup()
from django.db import transaction
from tests.base import development_fields, make_world
from timeline import commands, events, log, projections
from timeline.db import lock_log

make_world()
# An event written by an older version of kztrack (schema 1), as a restored backup has it.
with transaction.atomic():
    lock_log()
    log.restore(
        position=1, stream_id=uuid.UUID("00000000-0000-4000-8000-000000000001"), version=1,
        type=events.RECORDED, schema_version=1,
        data={"title": "Mandat de négociation sur les visas", "kind": "agreement_stage",
              "date": "2022-23", "status": "took_place", "topic": "visa-facilitation",
              "actors": ["kaja-kallas"], "source": {"publication": "Le Soir", "title": "Visas"}},
        metadata={"by": "seed", "via": "seed"},
        recorded_at=datetime.datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=datetime.UTC),
    )
projections.catch_up()

title = "Astana \u2013 Bruxelles \u00abAPCR\u00bb \U0001F1F0\U0001F1FF"
summary = "L'\u00e9t\u00e9 \"chaud\" \u200f\u05e9\u05dc\u05d5\u05dd\n<b>"
a = commands.development_record(fields=development_fields(title=title, summary=summary),
                                by="alice", via="admin", idempotency_key="key-a")
commands.development_correct(id=a.id, expected_version=1, changes={"place": "Astana"},
                             note="Lieu corrig\u00e9.", by="alice", via="admin")
commands.development_correct(id=a.id, expected_version=2, changes={"title": "Astana"},
                             silent=True, by="bob", via="api")
b = commands.development_record(fields=development_fields(status="scheduled", date="2026-06"),
                                by="alice", via="admin")
commands.development_reschedule(id=b.id, expected_version=1, date="2026-07~", by="alice",
                                via="admin")
commands.development_confirm(id=b.id, expected_version=2, date="2026-07-03", by="alice",
                             via="admin")
c = commands.development_record(fields=development_fields(status="scheduled", date="2026-09"),
                                by="alice", via="admin")
commands.development_cancel(id=c.id, expected_version=1, reason="Report\u00e9 sine die.",
                            by="alice", via="admin")
d = commands.development_record(fields=development_fields(topics=["epca"]), by="alice",
                                via="admin")
commands.development_retract(id=d.id, expected_version=1, reason="Doublon.", by="alice",
                             via="admin")
print(projections.read_model_checksum())
"""


@dataclass(frozen=True)
class Dump:
    path: Path
    checksum: str
    lines: list[bytes]


def _server_url() -> dict:
    return dj_database_url.parse(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1/x"))


def _admin(sql: str) -> None:
    config = _server_url()
    with psycopg.connect(
        host=config["HOST"] or "127.0.0.1",
        port=config["PORT"] or 5432,
        user=config["USER"] or "postgres",
        password=config["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        conn.execute(sql)


def _manage(*args: str, env: dict, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
        capture_output=True,
        **kwargs,
    )


@pytest.fixture(scope="module")
def dump(tmp_path_factory) -> Dump:
    """A filled second PostgreSQL database, exported to a file through `export_events -`."""
    config = _server_url()
    name = f"{config['NAME']}_backup_{uuid.uuid4().hex[:8]}"
    url = (
        f"postgres://{config['USER'] or 'postgres'}@{config['HOST'] or '127.0.0.1'}:"
        f"{config['PORT'] or 5432}/{name}"
    )
    env = {"DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "kztrack.settings"}
    _admin(f'CREATE DATABASE "{name}"')
    try:
        _manage("manage.py", "migrate", "--verbosity", "0", env=env)
        checksum = _manage("-c", FILL_SOURCE, env=env, text=True).stdout.strip()
        path = tmp_path_factory.mktemp("backup") / "events.jsonl"
        with open(path, "wb") as out:
            subprocess.run(
                [sys.executable, "manage.py", "export_events", "-"],
                cwd=ROOT,
                env={**os.environ, **env},
                stdout=out,
                check=True,
                stderr=subprocess.PIPE,
            )
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return Dump(path=path, checksum=checksum, lines=path.read_bytes().splitlines(keepends=True))


def _kinds(lines: list[bytes]) -> list[str]:
    return [json.loads(line)["kind"] for line in lines]


def _content(lines: list[bytes]) -> list[bytes]:
    """The lines that describe data (the header and trailer name the moment of export)."""
    return [line for line in lines if json.loads(line)["kind"] in {"topic", "actor", "event"}]


def test_it_writes_checksummed_json_lines_from_header_to_trailer(dump):
    kinds = _kinds(dump.lines)
    assert kinds[0] == "header" and kinds[-1] == "trailer"
    assert kinds.count("event") == 11
    trailer = json.loads(dump.lines[-1])
    assert trailer["events"] == 11 and trailer["lines"] == len(dump.lines) - 1
    for line in dump.lines:
        obj = json.loads(line)
        claimed = obj.pop("sha256")
        assert backup._sha256(backup.canonical(obj)) == claimed
    assert all(line.isascii() for line in dump.lines)


@pytest.mark.django_db
def test_it_restores_an_export_into_an_empty_database_with_identical_projections(dump):
    call_command("import_events", str(dump.path), verbosity=0)

    assert projections.read_model_checksum() == dump.checksum
    assert Event.objects.count() == 11
    assert Development.objects.count() == 5
    # Every column comes back as written: positions, versions, old schema versions,
    # metadata (idempotency keys included) and times to the microsecond.
    again = io.BytesIO()
    backup.log_export(out=again)
    assert _content(again.getvalue().splitlines(keepends=True)) == _content(dump.lines)
    old = Event.objects.get(position=1)
    assert old.schema_version == 1 and old.recorded_at.microsecond == 678901
    assert Event.objects.filter(metadata__idempotency_key="key-a").count() == 1


def test_it_restores_from_stdin_into_a_fresh_sqlite_database(dump, tmp_path):
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'restored.sqlite3'}",
        "KZTRACK_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "kztrack.settings",
    }
    _manage("manage.py", "migrate", "--verbosity", "0", env=env)
    with open(dump.path, "rb") as source:
        result = subprocess.run(
            [sys.executable, "manage.py", "import_events", "-"],
            cwd=ROOT,
            env={**os.environ, **env},
            stdin=source,
            capture_output=True,
            text=True,
        )
    assert result.returncode == 0, result.stderr
    assert "11 events imported" in result.stderr
    checksum = _manage(
        "-c",
        "import django; django.setup(); from timeline import projections;"
        " print(projections.read_model_checksum())",
        env=env,
        text=True,
    ).stdout.strip()
    assert checksum == dump.checksum


def _edit_title(lines: list[bytes], *, recompute_line_checksum: bool) -> list[bytes]:
    lines = list(lines)
    index = next(
        i
        for i, line in enumerate(lines)
        if b'"DevelopmentRecorded"' in line and b'"schema_version":2' in line
    )
    obj = json.loads(lines[index])
    obj["data"]["title"] = "Titre falsifi\u00e9"
    if recompute_line_checksum:
        obj.pop("sha256")
        obj["sha256"] = backup._sha256(backup.canonical(obj))
    lines[index] = backup.canonical(obj) + b"\n"
    return lines


def _index_of(lines: list[bytes], kind: str, nth: int = 0) -> int:
    return [i for i, line in enumerate(lines) if json.loads(line)["kind"] == kind][nth]


def _without(lines, i):
    return lines[:i] + lines[i + 1 :]


def _swapped(lines, i):
    return lines[:i] + [lines[i + 1], lines[i]] + lines[i + 2 :]


MUTILATIONS = {
    "an edited event": (
        lambda ls: _edit_title(ls, recompute_line_checksum=False),
        "does not match its checksum",
    ),
    "an edited event with its line checksum redone": (
        lambda ls: _edit_title(ls, recompute_line_checksum=True),
        "chained checksum",
    ),
    "an actor line removed": (
        lambda ls: _without(ls, _index_of(ls, "actor")),
        "Unknown actor",
    ),
    "an event line removed": (
        lambda ls: _without(ls, _index_of(ls, "event", 3)),
        "would leave a gap",
    ),
    "two topic lines swapped": (
        lambda ls: _swapped(ls, _index_of(ls, "topic")),
        "chained checksum",
    ),
    "an actor line repeated": (
        lambda ls: ls[:2] + [ls[_index_of(ls, "actor")]] + ls[2:],
        "lines are missing or repeated",
    ),
    "the trailer cut off": (lambda ls: ls[:-1], "cut short"),
    "the file cut mid-line": (lambda ls: ls[:-3] + [ls[-3][:40]], "not valid JSON"),
    "a line after the trailer": (lambda ls: ls + [ls[-2]], "follows the trailer"),
    "an empty file": (lambda ls: [], "empty"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("mutilation", list(MUTILATIONS))
def test_it_refuses_a_damaged_file_and_imports_nothing(dump, tmp_path, mutilation):
    mutilate, words = MUTILATIONS[mutilation]
    path = tmp_path / "damaged.jsonl"
    path.write_bytes(b"".join(mutilate(dump.lines)))

    with pytest.raises(CommandError, match=words) as refused:
        call_command("import_events", str(path), verbosity=0)

    assert "nothing imported" in str(refused.value)
    assert Event.objects.count() == 0
    assert Development.objects.count() == 0
    assert Topic.objects.count() == 0 and Actor.objects.count() == 0


@pytest.mark.django_db
def test_it_refuses_to_import_into_a_log_that_is_not_empty(dump, world, editor):
    from tests.base import development_fields
    from timeline import commands

    commands.development_record(fields=development_fields(), by="alice", via="admin")
    with pytest.raises(CommandError, match="already holds 1 events"):
        call_command("import_events", str(dump.path), verbosity=0)
    assert Event.objects.count() == 1


def test_it_names_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_events", str(tmp_path / "nope.jsonl"), verbosity=0)


# --- a file edited and re-hashed: every checksum redone, as anyone can -------------------


def _rehashed(lines: list[bytes], edit) -> list[bytes]:
    """The file after `edit(objects)`, every line checksum, the chain and the trailer redone."""
    objects = [json.loads(line) for line in lines]
    for obj in objects:
        obj.pop("sha256")
    edit(objects)
    chain = backup._Chain()
    out = []
    for obj in objects[:-1]:
        sha = backup._sha256(backup.canonical(obj))
        chain.add(sha)
        out.append(backup.canonical({**obj, "sha256": sha}) + b"\n")
    trailer = {**objects[-1], "lines": len(out), "chain": chain.value}
    trailer.pop("hmac", None)
    out.append(backup.canonical({**trailer, "sha256": backup._sha256(backup.canonical(trailer))}))
    return out


def _first_recorded_v2(objects: list[dict]) -> dict:
    return next(
        o
        for o in objects
        if o["kind"] == "event" and o["type"] == "DevelopmentRecorded" and o["schema_version"] == 2
    )


def _smuggle_javascript(objects: list[dict]) -> None:
    event = _first_recorded_v2(objects)
    event["data"]["sources"] = [{"publication": "X", "url": "javascript:alert(document.domain)"}]


def _orphan_reschedule(objects: list[dict]) -> None:
    """An event no command could write: a reschedule of a development never recorded."""
    last = max(o["position"] for o in objects if o["kind"] == "event")
    event = {
        "kind": "event",
        "position": last + 1,
        "stream_id": str(uuid.uuid4()),
        "version": 1,
        "type": "DevelopmentRescheduled",
        "schema_version": 1,
        "data": {"date": "2026-08", "previous_date": "2026-07", "note": ""},
        "metadata": {"by": "mallory", "via": "admin"},
        "recorded_at": "2026-01-01T00:00:00+00:00",
    }
    objects.insert(len(objects) - 1, event)
    objects[-1]["events"] += 1


def _line_of(lines: list[bytes], predicate) -> int:
    return next(n for n, line in enumerate(lines, start=1) if predicate(json.loads(line)))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("edit", "words", "find"),
    [
        (
            _smuggle_javascript,
            "Not a valid http(s) URL",
            lambda o: "javascript:" in json.dumps(o),
        ),
        (
            _orphan_reschedule,
            "cannot be projected",
            lambda o: o.get("type") == "DevelopmentRescheduled" and o["version"] == 1,
        ),
    ],
    ids=["a javascript: source URL", "an event no command could write"],
)
def test_an_edited_and_rehashed_backup_commits_nothing_and_the_log_still_works(
    dump, tmp_path, client, edit, words, find
):
    from tests.base import development_fields
    from timeline import commands

    lines = _rehashed(dump.lines, edit)
    path = tmp_path / "forged.jsonl"
    path.write_bytes(b"".join(lines))
    line = _line_of(lines, find)

    with pytest.raises(CommandError) as refused:
        call_command("import_events", str(path), verbosity=0)

    message = str(refused.value)
    assert f"Line {line}:" in message and words in message
    assert "nothing imported" in message and "Traceback" not in message
    assert Event.objects.count() == 0 and Development.objects.count() == 0
    assert Topic.objects.count() == 0
    # Nothing half-done blocks the next steps: a good import, appends and rebuilds.
    call_command("import_events", str(dump.path), verbosity=0)
    assert projections.read_model_checksum() == dump.checksum
    assert not any(
        "javascript:" in s.get("url", "") for d in Development.objects.all() for s in d.sources
    )
    new = commands.development_record(fields=development_fields(), by="alice", via="admin")
    call_command("rebuild_projections", verbosity=0)
    assert client.get(f"/developments/{new.id}/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_signed_backup_needs_the_key_and_refuses_a_forgery(dump, tmp_path, settings):
    settings.BACKUP_HMAC_KEY = ""
    call_command("import_events", str(dump.path), verbosity=0)
    out = io.BytesIO()
    backup.log_export(out=out, key="a secret only the operators hold")
    signed = out.getvalue().splitlines(keepends=True)
    assert "hmac" in json.loads(signed[-1])

    def reimport(lines: list[bytes], key: str) -> None:
        backup.log_import(source=io.BytesIO(b"".join(lines)), key=key)

    # An empty log again (the test settings' flush lifts the log's triggers).
    call_command("flush", interactive=False, verbosity=0)
    with pytest.raises(backup.BackupRefused, match="not signed"):
        reimport(dump.lines, key="a secret only the operators hold")
    forged = _rehashed(signed, lambda objs: _first_recorded_v2(objs)["data"].update(title="Faux"))
    with pytest.raises(backup.BackupRefused, match="not signed"):
        reimport(forged, key="a secret only the operators hold")
    with pytest.raises(backup.BackupRefused, match="signature does not match"):
        reimport(signed, key="another key")
    assert Event.objects.count() == 0
    reimport(signed, key="a secret only the operators hold")
    assert Event.objects.count() == 11
