"""`make bench` / `make bench-quick`: every workload of issue 5, side by side with its
baseline measured in the same run, into bench/results/latest.json and a table.

    python -m bench.run [--quick] [--only 1,2,3,4,5,6] [--keep-databases]

It creates its own PostgreSQL databases (kztrack_bench_<pid>, …_append, …_digest) and
drops them at the end; it uses Redis database 5 only. Each workload runs as a child
process (bench/w*.py) with its Django settings pointed at the bench database.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import harness, report
from bench.harness import FULL

RESULTS = harness.ROOT / "bench" / "results"


def plan(quick: bool) -> dict[str, Any]:
    """Sizes and time budgets (seconds). The budgets keep `make bench` under 30 minutes and
    `make bench-quick` under 5 on a shared 2-core machine; a run that meets its budget is
    stopped and its note says so."""
    scale = 0.1 if quick else 1.0
    log = int(FULL["log"] * scale)
    return {
        "quick": quick,
        "scale": scale,
        "runs": 3,
        "append": int(FULL["append"] * scale),
        "append_budget": 20 if quick else 240,
        # Growth compares the smallest size with the largest: the quick run skips the
        # middle one, and gives the rebuild at the largest the time to start and progress.
        "sizes": [log // 100, log] if quick else [log // 100, log // 10, log],
        "rebuild_budget": [8, 45] if quick else [30, 60, 200],
        "api_requests": [15, 20] if quick else [40, 40, 100],
        "growth_append": 60 if quick else 200,
        "growth_append_budget": 5 if quick else 20,
        "feed_seconds": 1 if quick else 3,
        "subscribers": int(FULL["subscribers"] * scale),
        # One issue per run, its fan-out capped by the budget (a finished one ends early),
        # then the smtplib loop for a few seconds; one run of 100,000 fits the full bench.
        "digest_runs": 1,
        "digest_budget": 90 if quick else 660,
        "digest_limit_seconds": 8 if quick else 20,
    }


class Bench:
    def __init__(self, quick: bool, only: set[int], keep: bool):
        self.plan = plan(quick)
        self.only = only
        self.keep = keep
        # BENCH_DB_TAG keeps several engineers' runs apart on one server (e.g. "i13").
        tag = os.environ.get("BENCH_DB_TAG", "")
        name = f"kztrack_bench_{tag + '_' if tag else ''}{os.getpid()}"
        self.dbs = {"main": name, "append": f"{name}_append", "digest": f"{name}_digest"}
        self.urls: dict[str, str] = {}
        self.rows: list[dict] = []
        self.figures: dict[str, Any] = {"sizes": {}}
        self.tmp = Path(tempfile.mkdtemp(prefix="kztrack-bench-"))
        self.started = time.monotonic()
        self.step = 0

    # --- plumbing ------------------------------------------------------------------------

    def say(self, text: str) -> None:
        self.step += 1
        elapsed = time.monotonic() - self.started
        print(f"[{elapsed:6.0f}s] {text}", file=sys.stderr, flush=True)

    def child(self, db: str, module: str, *args: Any) -> dict[str, Any]:
        """Run bench/<module>.py against a bench database; its JSON output."""
        out = self.tmp / f"{module}-{self.step}.json"
        env = harness.child_env(self.urls[db])
        cmd = [harness.PYTHON, "-m", f"bench.{module}", *map(str, args), "--out", str(out)]
        subprocess.run(cmd, env=env, cwd=harness.ROOT, check=True)
        return json.loads(out.read_text())

    def attempt(self, what: str, fn, *args) -> Any:
        """Run one workload; a failure becomes a note, not a crash of the whole bench."""
        try:
            return fn(*args)
        except Exception as error:  # reported in the results instead
            detail = str(error).strip().splitlines()[-1:] or [type(error).__name__]
            self.figures.setdefault("failures", {})[what] = detail[0][:300]
            print(f"  ! {what} failed: {detail[0][:300]}", file=sys.stderr, flush=True)
            return None

    def set_up(self) -> None:
        self.say(
            f"databases {', '.join(self.dbs.values())} (PostgreSQL), Redis {harness.REDIS_URL}"
        )
        self.urls["main"] = harness.create_database(self.dbs["main"])
        subprocess.run(
            [harness.PYTHON, "manage.py", "migrate", "--verbosity", "0"],
            env=harness.child_env(self.urls["main"]),
            cwd=harness.ROOT,
            check=True,
        )
        for key in ("append", "digest"):
            # A copy of the migrated database is quicker than migrating again.
            self.urls[key] = harness.create_database(self.dbs[key], template=self.dbs["main"])
        harness.flush_redis()

    def tear_down(self) -> None:
        if self.keep:
            print(f"kept databases: {', '.join(self.dbs.values())}", file=sys.stderr)
            return
        for name in self.dbs.values():
            harness.drop_database(name)
        harness.flush_redis()

    # --- workloads -----------------------------------------------------------------------

    def append(self) -> None:
        p = self.plan
        self.say(
            f"1 append: {p['append']:,} developments per writer count and kind, "
            f"budget {p['append_budget']}s"
        )
        out = self.child(
            "append",
            "w1_append",
            "--n",
            p["append"],
            "--runs",
            p["runs"],
            "--budget",
            p["append_budget"],
        )
        self.rows += out["rows"]
        self.figures["append"] = out["figures"]

    def at_size(self, index: int, size: int, last: bool) -> None:
        p = self.plan
        fig = self.figures["sizes"].setdefault(str(size), {})
        self.say(f"log → {size:,} events (COPY, untimed)")
        grow = self.child("main", "grow", "--to", size)
        fig["grow"] = grow["figures"]
        if 3 in self.only or 6 in self.only:
            self.say(f"3 api at {size:,} events")
            # Growth needs only the first and the deep page at the smaller sizes.
            endpoints = "first,deep,topic,q,offset" if last else "first,deep"
            out = self.attempt(
                "api",
                self.child,
                "main",
                "w3_api",
                "--runs",
                p["runs"],
                "--requests",
                p["api_requests"][index],
                "--endpoints",
                endpoints,
            )
            if out:
                fig["api"] = out["figures"]
        if 6 in self.only:
            self.say(f"6 append at {size:,} events")
            out = self.attempt(
                "growth append",
                self.child,
                "main",
                "w1_append",
                "--growth",
                "--n",
                p["growth_append"],
                "--runs",
                p["runs"],
                "--budget",
                p["growth_append_budget"],
                "--seed",
                100 + index,
            )
            if out:
                fig["append"] = out["figures"]
        if last and 4 in self.only:
            self.say("4 feeds")
            out = self.attempt(
                "feeds",
                self.child,
                "main",
                "w4_feeds",
                "--runs",
                p["runs"],
                "--seconds",
                p["feed_seconds"],
            )
            if out:
                self.figures["feeds"] = out["figures"]
        if 2 in self.only or 6 in self.only:
            self.say(f"2 rebuild at {size:,} events, budget {p['rebuild_budget'][index]}s")
            args = ["--runs", p["runs"], "--budget", p["rebuild_budget"][index]]
            if not last:
                args.append("--keep-read-models")
            if index == 0:
                args.append("--check-setup")
            out = self.attempt("rebuild", self.child, "main", "w2_rebuild", *args)
            if out:
                fig["rebuild"] = out["figures"]

    def digest(self) -> None:
        p = self.plan
        self.say(f"5 digest: {p['subscribers']:,} subscribers, budget {p['digest_budget']}s")
        out = self.attempt(
            "digest",
            self.child,
            "digest",
            "w5_digest",
            "--subscribers",
            p["subscribers"],
            "--runs",
            p["digest_runs"],
            "--budget",
            p["digest_budget"],
            "--limit-seconds",
            p["digest_limit_seconds"],
        )
        if out:
            self.figures["digest"] = out["figures"]

    def run(self) -> list[dict]:
        self.set_up()
        try:
            if 1 in self.only:
                self.attempt("append", self.append)
            sizes = self.plan["sizes"] if 6 in self.only else self.plan["sizes"][-1:]
            if self.only & {2, 3, 4, 6}:
                for index, size in enumerate(sizes):
                    index = self.plan["sizes"].index(size)
                    self.at_size(index, size, last=size == self.plan["sizes"][-1])
            if 5 in self.only:
                self.digest()
        finally:
            self.tear_down()
        self.rows += report.rows(self.figures, self.plan, self.only)
        return self.rows


def machine() -> dict[str, Any]:
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    import psycopg

    with psycopg.connect(harness.ADMIN_URL) as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(int(mem) / 1024 / 1024, 1),
        "python": platform.python_version(),
        "postgresql": pg,
        "load_average_at_start": os.getloadavg()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the sizes")
    parser.add_argument("--only", default="1,2,3,4,5,6", help="workload numbers")
    parser.add_argument("--keep-databases", action="store_true")
    args = parser.parse_args()
    only = {int(n) for n in args.only.split(",")}
    started = time.monotonic()
    info = machine()
    bench = Bench(args.quick, only, args.keep_databases)
    rows = bench.run()
    RESULTS.mkdir(parents=True, exist_ok=True)
    result = {
        "generated": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "mode": "quick" if args.quick else "full",
        "seconds": round(time.monotonic() - started),
        "machine": info,
        "rows": rows,
        "figures": bench.figures,
    }
    # latest.json is the list of rows (issue 5); the run's context sits beside it.
    (RESULTS / "latest.json").write_text(json.dumps(rows, indent=1, ensure_ascii=False))
    (RESULTS / "latest-run.json").write_text(
        json.dumps(result, indent=1, ensure_ascii=False, default=str)
    )
    print(report.table(rows))
    print(
        f"\n{sum(r['met'] for r in rows)} of {len(rows)} goals met; "
        f"{result['seconds']} s; bench/results/latest.json"
    )


if __name__ == "__main__":
    main()
