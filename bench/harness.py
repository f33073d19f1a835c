"""What every workload shares: statistics, result rows, databases and child processes.

A workload module runs in its own process (so its Django settings point at the bench
database and its memory is its own) and writes a JSON file {"rows": [...], "figures": {...}}
that bench/run.py gathers into bench/results/latest.json.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
ADMIN_URL = os.environ.get("BENCH_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")

# Full sizes from issue 5; --quick divides them by ten.
FULL = {
    "append": 20_000,  # developments recorded per append run
    "log": 1_000_000,  # developments (and their events) in the log for rebuild, API, growth
    "subscribers": 100_000,
}


# --- statistics --------------------------------------------------------------------------


@dataclass
class Stat:
    """A figure over several runs: the median, with the min and max."""

    median: float
    min: float
    max: float
    runs: list[float] = field(default_factory=list)

    @classmethod
    def of(cls, values: Sequence[float]) -> Stat:
        values = [float(v) for v in values]
        return cls(statistics.median(values), min(values), max(values), values)


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (nearest rank) of `values`."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


# --- result rows -------------------------------------------------------------------------


def row(
    workload: str,
    metric: str,
    unit: str,
    value: Stat,
    baseline: str,
    baseline_value: Stat,
    *,
    goal: str,
    met: bool,
    higher_is_better: bool = True,
    note: str = "",
) -> dict[str, Any]:
    """One line of latest.json.

    `ratio` always reads "times better than the baseline": throughput ÷ baseline throughput,
    or baseline latency (memory) ÷ latency (memory). Above 1 we beat the baseline.
    """
    v, b = value.median, baseline_value.median
    if higher_is_better:
        ratio = v / b if b else float("nan")
    else:
        ratio = b / v if v else float("nan")
    out = {
        "workload": workload,
        "metric": metric,
        "unit": unit,
        "value": _round(v),
        "baseline": baseline,
        "baseline_value": _round(b),
        "ratio": _round(ratio),
        "goal": goal,
        "met": bool(met),
        "min": _round(value.min),
        "max": _round(value.max),
        "runs": len(value.runs),
        "baseline_min": _round(baseline_value.min),
        "baseline_max": _round(baseline_value.max),
    }
    if note:
        out["note"] = note
    return out


def missing_row(
    workload: str, metric: str, unit: str, baseline: str, goal: str, note: str
) -> dict[str, Any]:
    """A row for a figure that could not be measured (the app code is not there yet)."""
    nan = Stat(float("nan"), float("nan"), float("nan"), [])
    out = row(workload, metric, unit, nan, baseline, nan, goal=goal, met=False, note=note)
    out["runs"] = 0
    return out


def _round(x: float) -> float | None:
    if x != x:  # NaN is not JSON
        return None
    return round(x, 3 if abs(x) < 100 else 1)


def write_output(path: str | os.PathLike, rows: list[dict], figures: dict[str, Any]) -> None:
    Path(path).write_text(json.dumps({"rows": rows, "figures": figures}, indent=1, default=str))


# --- databases ---------------------------------------------------------------------------


def db_url(name: str) -> str:
    base = ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{name}"


def create_database(name: str, template: str | None = None) -> str:
    """A new, empty database (or a copy of `template`, which nobody may be connected to)."""
    import psycopg

    assert name.startswith("kztrack_bench_"), name  # never touch anyone else's database
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        copy = f' TEMPLATE "{template}"' if template else ""
        conn.execute(f'CREATE DATABASE "{name}"{copy}')
    return db_url(name)


def drop_database(name: str) -> None:
    import psycopg

    assert name.startswith("kztrack_bench_"), name
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def child_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a child process working on the bench database."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=REDIS_URL,
        CELERY_BROKER_URL=REDIS_URL,
        CACHE_KEY_PREFIX=f"kztrack-bench-{os.getpid()}",
        DJANGO_SETTINGS_MODULE="bench.settings",
        KZTRACK_VAR_DIR=str(ROOT / "var" / "bench"),
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def setup_django() -> None:
    """Configure Django in a workload process (its environment comes from child_env)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    django.setup()


def flush_redis() -> None:
    """Empty the bench's Redis database (its own number; nobody else uses it)."""
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


# --- processes ---------------------------------------------------------------------------


def run_measured(
    args: list[str],
    env: dict[str, str],
    *,
    cap: float = float("inf"),
    on_tick: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """Run `python -m bench.peak … args` to completion or until `cap` seconds: wall
    seconds, peak resident MB (its own, see bench/peak.py), stdout, whether it finished."""
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".peak") as peak_file:
        started = time.perf_counter()
        proc = subprocess.Popen(
            [PYTHON, "-m", "bench.peak", peak_file.name, *args],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        polled = 0.0
        finished = True
        while proc.poll() is None:
            polled = max(polled, peak_rss_mb(proc.pid))
            if on_tick:
                on_tick()
            if time.perf_counter() - started > cap:
                finished = False
                os.killpg(proc.pid, signal.SIGKILL)
                break
            time.sleep(0.2)
        out, err = proc.communicate()
        elapsed = time.perf_counter() - started
        if finished and proc.returncode != 0:
            raise RuntimeError(
                f"{' '.join(args)} failed ({proc.returncode}):\n{err.decode()[-3000:]}"
            )
        text = Path(peak_file.name).read_text().strip()
        peak = max(polled, float(text) if text else 0.0)
    return {"seconds": elapsed, "peak_mb": peak, "stdout": out.decode(), "finished": finished}


def peak_rss_mb(pid: int) -> float:
    """A live process's peak resident memory (VmHWM), in MB; 0 if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def children_of(pid: int) -> list[int]:
    """Direct children of a process, from /proc."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise TimeoutError(f"timed out waiting for {what}")


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
    """Stop a child we started (and the process group it leads)."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def as_dict(obj: Any) -> Any:
    return asdict(obj)
