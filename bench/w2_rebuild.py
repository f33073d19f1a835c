"""Workload 2: `manage.py rebuild_projections` over the whole log: events/s, peak memory.

Each run is a child process (its peak memory is its own, from wait4). A run that exceeds
its share of the time budget is stopped; its rate is then the checkpoint it reached over
the time it ran, and the row's note says so. The limit is bench/scan.py: a server-side
cursor over the same events, decoding their JSON.
"""

from __future__ import annotations

import argparse
import os
import re
from typing import Any

import psycopg

from bench import harness
from bench.harness import Stat

READ_MODELS = ("timeline_development", "timeline_developmenttopic", "timeline_developmentactor")


def _checkpoint(conn) -> int:
    row = conn.execute(
        "SELECT position FROM timeline_projectionstate WHERE name = 'developments'"
    ).fetchone()
    return row[0] if row else 0


def rebuild_once(
    env: dict[str, str], total: int, cap: float, bar, *, checksum: bool = False
) -> dict[str, Any]:
    """One rebuild: rate, peak MB, whether it finished, and its checksum if it did."""
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
        bar.reset(total=total)
        # The checkpoint reads `total` until the rebuild's reset commits: only a checkpoint
        # below it is progress.
        seen = {"reset": False}

        def tick() -> None:
            position = _checkpoint(conn)
            seen["reset"] |= position < total
            bar.n = position if seen["reset"] else 0
            bar.refresh()

        run = harness.run_measured(
            ["manage.py", "rebuild_projections", "--verbosity", "0"]
            + (["--checksum"] if checksum else []),
            env,
            cap=cap,
            on_tick=tick,
        )
        if not run["finished"]:
            # A killed client's statement runs on until PostgreSQL notices; end it, so the
            # next run does not wait for its lock.
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        position = _checkpoint(conn)
        done = total if run["finished"] else (position if position < total else 0)
    checksum = re.search(r"checksum ([0-9a-f]+)", run["stdout"])
    return {
        "rate": done / run["seconds"],
        "peak_mb": run["peak_mb"],
        "finished": run["finished"],
        "applied": done,
        "seconds": run["seconds"],
        "checksum": checksum.group(1) if checksum else None,
    }


def scan_once(env: dict[str, str], total: int) -> dict[str, float]:
    run = harness.run_measured(["-m", "bench.scan"], env)
    return {"rate": total / run["seconds"], "peak_mb": run["peak_mb"], "seconds": run["seconds"]}


def snapshot(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for table in READ_MODELS:
            conn.execute(f"DROP TABLE IF EXISTS bench_snap_{table}")
            conn.execute(f"CREATE TABLE bench_snap_{table} AS TABLE {table}")
        conn.execute("DROP TABLE IF EXISTS bench_snap_checkpoint")
        conn.execute("CREATE TABLE bench_snap_checkpoint AS SELECT * FROM timeline_projectionstate")


def restore(url: str) -> None:
    """Put back the read models a stopped rebuild left half done (bench set-up only)."""
    with psycopg.connect(url) as conn:
        conn.execute(f"TRUNCATE {', '.join(READ_MODELS)}")
        for table in READ_MODELS:
            conn.execute(f"INSERT INTO {table} SELECT * FROM bench_snap_{table}")
        conn.execute("DELETE FROM timeline_projectionstate")
        conn.execute("INSERT INTO timeline_projectionstate SELECT * FROM bench_snap_checkpoint")
    with psycopg.connect(url, autocommit=True) as conn:
        # A stopped rebuild also left its dropped indexes to build (outside the transaction
        # above: its rows' deferred foreign-key checks would block CREATE INDEX).
        suspended = conn.execute("SELECT name, definition FROM timeline_suspendedindex").fetchall()
        for name, definition in suspended:
            if conn.execute("SELECT to_regclass(%s) IS NULL", [name]).fetchone()[0]:
                for statement in definition.split(";\n"):  # the index, then its targets
                    conn.execute(statement)
        conn.execute("DELETE FROM timeline_suspendedindex")
        for table in READ_MODELS:
            conn.execute(f"DROP TABLE bench_snap_{table}")
            conn.execute(f"ANALYZE {table}")
        conn.execute("DROP TABLE bench_snap_checkpoint")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--budget", type=float, required=True, help="seconds for all runs")
    parser.add_argument(
        "--keep-read-models",
        action="store_true",
        help="restore the read models if the last run was stopped",
    )
    parser.add_argument(
        "--check-setup",
        action="store_true",
        help="compare the bench's read models with what a rebuild makes",
    )
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    from tqdm import tqdm

    env = dict(os.environ)
    url = env["DATABASE_URL"]
    with psycopg.connect(url) as conn:
        total = conn.execute("SELECT count(*) FROM timeline_event").fetchone()[0]
    expected = None
    if args.check_setup:
        harness.setup_django()
        from timeline import projections

        expected = projections.read_model_checksum()
    if args.keep_read_models:
        snapshot(url)
    scans, rebuilds = [], []
    with tqdm(desc=f"rebuild {total:,} events", unit="ev", leave=False, mininterval=1) as bar:
        for _ in range(args.runs):
            scans.append(scan_once(env, total))
        spent = sum(s["seconds"] for s in scans)
        cap = max(3.0, (args.budget - spent) / args.runs)
        for _ in range(args.runs):
            rebuilds.append(rebuild_once(env, total, cap, bar, checksum=args.check_setup))
    if args.keep_read_models and not rebuilds[-1]["finished"]:
        restore(url)
    elif args.keep_read_models:
        with psycopg.connect(url, autocommit=True) as conn:
            for table in (*READ_MODELS, "checkpoint"):
                conn.execute(f"DROP TABLE IF EXISTS bench_snap_{table}")
    checksums = {r["checksum"] for r in rebuilds if r["finished"]}
    figures = {
        "events": total,
        "rate": harness.as_dict(Stat.of([r["rate"] for r in rebuilds])),
        "peak_mb": harness.as_dict(Stat.of([r["peak_mb"] for r in rebuilds])),
        "scan_rate": harness.as_dict(Stat.of([s["rate"] for s in scans])),
        "scan_peak_mb": harness.as_dict(Stat.of([s["peak_mb"] for s in scans])),
        "finished": sum(r["finished"] for r in rebuilds),
        "applied": [r["applied"] for r in rebuilds],
        "cap_seconds": cap,
        "checksums_agree": len(checksums) <= 1,
        "matches_setup": (expected in checksums) if expected and checksums else None,
    }
    harness.write_output(args.out, [], figures)


if __name__ == "__main__":
    main()
