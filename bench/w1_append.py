"""Workload 1: record developments through the command path, one writer and four.

Baselines in the same run, each in as many processes as the command path has writers:
- the limit: raw psycopg INSERTs of the same event rows into a copy of the log table
  (same indexes), under the same advisory lock, one transaction each;
- the peer: the `eventsourcing` library's PostgreSQL persistence saving one aggregate per
  development with the same payload (it serializes writers with a table lock).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import queue
import time
import uuid
from typing import Any
from urllib.parse import urlparse

from bench import harness
from bench.harness import Stat, percentile, row
from bench.report import CAUSES

WARM_UP = 20


# --- the three writers, each run in its own process ---------------------------------------


def _command_writer(payloads: list[dict[str, Any]]):
    from timeline.commands import development_record

    def write(fields: dict[str, Any]) -> None:
        development_record(fields=fields, by="bench", via="api")

    return write


def _limit_writer(payloads: list[dict[str, Any]]):
    import psycopg

    from timeline.db import APPEND_LOCK_KEY

    conn = psycopg.connect(os.environ["DATABASE_URL"])
    metadata = json.dumps({"by": "bench", "via": "api"})
    insert = (
        "INSERT INTO bench_limit_event (position, stream_id, version, type, schema_version,"
        " data, metadata, recorded_at)"
        " SELECT coalesce(max(position), 0) + 1, %s, 1, 'DevelopmentRecorded', 2, %s, %s, now()"
        " FROM bench_limit_event"
    )

    def write(fields: dict[str, Any]) -> None:
        with conn.transaction(), conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [APPEND_LOCK_KEY])
            cur.execute(insert, [uuid.uuid4(), json.dumps(fields, ensure_ascii=False), metadata])

    return write


def peer_env() -> dict[str, str]:
    url = urlparse(os.environ["DATABASE_URL"])
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": url.path.lstrip("/"),
        "POSTGRES_HOST": url.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(url.port or 5432),
        "POSTGRES_USER": url.username or "postgres",
        "POSTGRES_PASSWORD": url.password or "",
        "POSTGRES_POOL_SIZE": "1",
    }


def _peer_writer(payloads: list[dict[str, Any]]):
    from bench.es_peer import Developments

    # prepare_baselines created the tables; writers creating them at once would race.
    app = Developments(env={**peer_env(), "CREATE_TABLE": "no"})

    def write(fields: dict[str, Any]) -> None:
        app.record(fields)

    return write


WRITERS = {"command": _command_writer, "limit": _limit_writer, "peer": _peer_writer}


def _worker(tasks, barrier, results) -> None:
    """A writer process, kept for every run: its set-up (Django, connections, the peer's
    application) and first records (WARM_UP, untimed) happen once per kind."""
    harness.setup_django()
    writers: dict[str, Any] = {}
    while (task := tasks.get()) is not None:
        kind, payloads, warm, deadline = task
        if kind not in writers:
            writers[kind] = WRITERS[kind](payloads)
            for fields in warm:
                writers[kind](fields)
        write = writers[kind]
        barrier.wait()
        latencies = []
        start = time.time()
        for fields in payloads:
            t = time.perf_counter()
            write(fields)
            latencies.append(time.perf_counter() - t)
            if time.time() > deadline:
                break
        results.put((start, time.time(), latencies))


class Writers:
    """`count` writer processes, started once."""

    def __init__(self, count: int):
        ctx = mp.get_context("spawn")
        self.count = count
        self.barrier = ctx.Barrier(count)
        self.results = ctx.Queue()
        self.tasks = [ctx.Queue() for _ in range(count)]
        self.procs = [
            ctx.Process(target=_worker, args=(q, self.barrier, self.results)) for q in self.tasks
        ]
        for p in self.procs:
            p.start()

    def measure(
        self,
        kind: str,
        payloads: list[dict[str, Any]],
        warm: list[dict[str, Any]],
        deadline: float = float("inf"),
    ) -> dict[str, float]:
        """Record `payloads` split over the writers: throughput and latency. Writers stop at
        `deadline` (time.time()) if they are not done by then."""
        for i, q in enumerate(self.tasks):
            q.put((kind, payloads[i :: self.count], warm[i :: self.count], deadline))
        got = []
        while len(got) < self.count:
            try:
                got.append(self.results.get(timeout=1))
            except queue.Empty:
                if any(p.exitcode is not None for p in self.procs):
                    self.close()
                    raise RuntimeError(f"a {kind} writer failed") from None
        start = min(g[0] for g in got)
        end = max(g[1] for g in got)
        latencies = [x for g in got for x in g[2]]
        return {
            "rate": len(latencies) / (end - start),
            "p50": percentile(latencies, 50) * 1000,
            "p99": percentile(latencies, 99) * 1000,
            "done": len(latencies),
            "asked": len(payloads),
        }

    def close(self) -> None:
        for q in self.tasks:
            q.put(None)
        for p in self.procs:
            p.join(30)
            if p.is_alive():
                p.kill()


def prepare_baselines() -> None:
    import psycopg

    from bench.es_peer import Developments

    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_limit_event")
        conn.execute("CREATE TABLE bench_limit_event (LIKE timeline_event INCLUDING ALL)")
    Developments(env=peer_env())  # creates its tables


def payload_batches(n: int, runs: int, seed: int) -> list[list[dict[str, Any]]]:
    from bench.data import Generator, check_payloads, ensure_world

    topics, actors = ensure_world()
    gen = Generator(topics, actors, seed=seed)
    check_payloads(gen, 100)
    return [[gen.fields() for _ in range(n)] for _ in range(runs)]


def main_rows(
    n: int, runs: int, writer_counts: list[int], budget: float
) -> tuple[list[dict], dict]:
    """Each writer configuration records `n` developments per kind, as `runs` runs of
    n/runs, the three kinds interleaved so that drift hits them alike. Each run gets an
    equal share of what is left of the time budget and stops there if not done."""
    from tqdm import tqdm

    prepare_baselines()
    per_run = n // runs
    warm_up = WARM_UP * max(writer_counts)
    batches = payload_batches(per_run, runs + 1, seed=1)
    warm = {
        kind: batch[:warm_up]
        for kind, batch in zip(
            ("command", "limit", "peer"), payload_batches(warm_up, 3, seed=2), strict=True
        )
    }
    got: dict[tuple[int, str], list[dict[str, float]]] = {}
    ends = time.time() + budget
    steps = len(writer_counts) * runs * 3
    with tqdm(total=steps, desc="append", unit="run", leave=False) as bar:
        for writers in writer_counts:
            pool = Writers(writers)
            try:
                for r in range(runs):
                    for kind in ("command", "limit", "peer"):
                        deadline = time.time() + (ends - time.time()) / (steps - bar.n)
                        got.setdefault((writers, kind), []).append(
                            pool.measure(kind, batches[r], warm[kind], deadline)
                        )
                        bar.update()
            finally:
                pool.close()
    return _rows(got, writer_counts, per_run, runs)


def _rows(got, writer_counts: list[int], per_run: int, runs: int) -> tuple[list[dict], dict]:
    rows: list[dict] = []
    figures: dict[str, Any] = {"runs": {f"{w}-{k}": v for (w, k), v in got.items()}}
    for writers in writer_counts:
        label = f"{writers} writer{'s' if writers > 1 else ''}"

        def stat(kind: str, key: str) -> Stat:
            return Stat.of([m[key] for m in got[(writers, kind)]])  # noqa: B023

        notes = []
        for kind in ("command", "limit", "peer"):
            done = sum(m["done"] for m in got[(writers, kind)])
            if done < per_run * runs:
                notes.append(
                    f"{kind}: stopped by the time budget after {done:,} of "
                    f"{per_run * runs:,} developments"
                )
        cmd, limit, peer = (stat(k, "rate") for k in ("command", "limit", "peer"))
        figures[f"rate_{writers}"] = cmd.median
        met_all = cmd.median >= 0.5 * limit.median and cmd.median >= peer.median
        note = "; ".join(notes + ([] if met_all else [CAUSES["append"]]))
        rows.append(
            row(
                "1 append",
                f"developments/s, {label}, vs the limit",
                "dev/s",
                cmd,
                f"raw psycopg INSERT + same lock, {label}",
                limit,
                goal="≥ 0.5 × limit",
                met=cmd.median >= 0.5 * limit.median,
                note=note,
            )
        )
        rows.append(
            row(
                "1 append",
                f"developments/s, {label}, vs the peer",
                "dev/s",
                cmd,
                f"eventsourcing PostgreSQL, {label}",
                peer,
                goal="≥ 1.0 × peer",
                met=cmd.median >= peer.median,
                note=note,
            )
        )
        for q in ("p50", "p99"):
            lat = stat("command", q)
            rows.append(
                row(
                    "1 append",
                    f"{q} latency, {label}",
                    "ms",
                    lat,
                    f"raw psycopg INSERT {q}, {label}",
                    stat("limit", q),
                    goal="≤ 20 ms",
                    met=lat.median <= 20,
                    higher_is_better=False,
                    note=note,
                )
            )
    return rows, figures


def growth_figures(n: int, runs: int, seed: int, budget: float) -> dict[str, Any]:
    """Command-path throughput and latency (one writer) on the log as it is now."""
    batches = payload_batches(n + WARM_UP, runs, seed=seed)
    write = _command_writer(batches[0])
    measured = []
    ends = time.time() + budget
    for i, batch in enumerate(batches):
        deadline = time.time() + (ends - time.time()) / (runs - i)
        for fields in batch[:WARM_UP]:
            write(fields)
        took = []
        start = time.time()
        for fields in batch[WARM_UP:]:
            t = time.perf_counter()
            write(fields)
            took.append(time.perf_counter() - t)
            if time.time() > deadline:
                break
        measured.append(
            {
                "rate": len(took) / (time.time() - start),
                "done": len(took),
                "p50": percentile(took, 50) * 1000,
                "p99": percentile(took, 99) * 1000,
            }
        )
    figures = {
        key: harness.as_dict(Stat.of([m[key] for m in measured])) for key in ("rate", "p50", "p99")
    }
    figures["done"] = sum(m["done"] for m in measured)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--writers", default="1,4")
    parser.add_argument("--growth", action="store_true")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--budget", type=float, default=600, help="seconds, all runs")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    harness.setup_django()
    if args.growth:
        figures = growth_figures(args.n, args.runs, args.seed, args.budget)
        harness.write_output(args.out, [], figures)
    else:
        writers = [int(w) for w in args.writers.split(",")]
        rows, figures = main_rows(args.n, args.runs, writers, args.budget)
        harness.write_output(args.out, rows, figures)


if __name__ == "__main__":
    main()
