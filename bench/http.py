"""gunicorn serving the app on a free port, and the load that other processes put on it."""

from __future__ import annotations

import http.client
import json
import multiprocessing as mp
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from bench import harness
from bench.harness import percentile

WORKERS = 2  # one per core
THREADS = 4


class Server:
    """gunicorn (gthread workers: they keep connections alive) on the bench database."""

    def __init__(self, env: dict[str, str]):
        self.env = env
        self.port = harness.free_port()
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        cmd = [
            harness.PYTHON,
            "-m",
            "gunicorn",
            "kztrack.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(WORKERS),
            "--worker-class",
            "gthread",
            "--threads",
            str(THREADS),
            "--keep-alive",
            "30",
            "--log-level",
            "warning",
        ]
        # Production's persistent connections (KZTRACK_ENV=production sets 60 s).
        env = {"DB_CONN_MAX_AGE": "60", **self.env, "DJANGO_SETTINGS_MODULE": "bench.settings"}
        self.proc = subprocess.Popen(
            cmd, env=env, cwd=harness.ROOT, start_new_session=True, stdout=subprocess.DEVNULL
        )
        harness.wait_for(self._up, timeout=60, what="gunicorn")
        return self

    def _up(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError("gunicorn exited at start-up")
        try:
            return get(self.port, "/healthz")[0] == 200
        except OSError:
            return False

    def worker_peak_mb(self) -> float:
        assert self.proc is not None
        return max(
            (harness.peak_rss_mb(p) for p in harness.children_of(self.proc.pid)), default=0.0
        )

    def __exit__(self, *exc) -> None:
        if self.proc is not None:
            harness.stop(self.proc)


def get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def latencies(
    port: int, path: str, count: int, headers: dict[str, str] | None = None, warm_up: int = 5
) -> dict[str, float]:
    """`count` sequential requests over one kept-alive connection: p50, p99 (ms), statuses."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    took = []
    statuses: dict[int, int] = {}
    for i in range(warm_up + count):
        t = time.perf_counter()
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        resp.read()
        if i >= warm_up:
            took.append(time.perf_counter() - t)
            statuses[resp.status] = statuses.get(resp.status, 0) + 1
    conn.close()
    return {
        "p50": percentile(took, 50) * 1000,
        "p99": percentile(took, 99) * 1000,
        "statuses": statuses,
    }


def _hammer(port: int, path: str, headers: dict[str, str], seconds: float, start, out) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    done = 0
    statuses: dict[int, int] = {}
    # All clients start together, however long each took to spawn on a loaded machine.
    start.wait(timeout=120)
    started = time.time()
    until = started + seconds
    while time.time() < until:
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        resp.read()
        done += 1
        statuses[resp.status] = statuses.get(resp.status, 0) + 1
    out.put((done / (time.time() - started), statuses))


WRK_SCRIPT = """
done = function(summary, latency, requests)
  io.write(string.format('{"requests": %d, "seconds": %f, "errors": %d, "non2xx": %d}\\n',
    summary.requests, summary.duration / 1e6,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
"""


def throughput(
    port: int,
    path: str,
    seconds: float,
    connections: int = 4,
    headers: dict[str, str] | None = None,
) -> dict[str, float]:
    """Requests per second with `connections` kept-alive clients, for `seconds`.

    wrk (C, light on the shared CPU) if installed, else as many Python client processes.
    """
    headers = headers or {}
    if shutil.which("wrk"):
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(WRK_SCRIPT)
        cmd = [
            "wrk",
            "-t",
            "1",
            "-c",
            str(connections),
            "-d",
            f"{max(1, round(seconds))}s",
            "-s",
            script.name,
        ]
        for name, value in headers.items():
            cmd += ["-H", f"{name}: {value}"]
        out = subprocess.run(
            [*cmd, f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True
        ).stdout
        Path(script.name).unlink()
        result = json.loads(out.strip().splitlines()[-1])
        return {
            "rps": result["requests"] / result["seconds"],
            "errors": result["errors"] + result["non2xx"],
            "client": "wrk",
        }
    ctx = mp.get_context("spawn")
    out_q = ctx.Queue()
    start = ctx.Barrier(connections + 1)
    procs = [
        ctx.Process(target=_hammer, args=(port, path, headers, seconds, start, out_q))
        for _ in range(connections)
    ]
    for p in procs:
        p.start()
    start.wait(timeout=120)
    results = [out_q.get(timeout=seconds + 120) for _ in procs]
    for p in procs:
        p.join()
    # Each client's own rate over the time it ran, added up.
    errors = sum(n for r in results for status, n in r[1].items() if status >= 400)
    return {"rps": sum(r[0] for r in results), "errors": errors, "client": "python"}
