"""Workload 3: `GET /api/v1/timeline` at scale, under gunicorn, from this process.

Latency (p50/p99 over sequential kept-alive requests) of the first page, a page at depth
~90 % by cursor, a topic filter and a full-text query. Baselines in the same run: the same
deep page by OFFSET through the same server (bench/peers.py, what a naive API does) and the
raw SQL keyset queries (the limit: the API's queries without Django and HTTP).
"""

from __future__ import annotations

import argparse
import base64
import os
import time
from typing import Any
from urllib.parse import quote

import psycopg

from bench import harness
from bench.harness import Stat, percentile
from bench.http import Server, get, latencies

QUERY = "Baïkonour"  # in about 0.2 % of summaries (bench/data.py)
COLUMNS = "id, version, title, summary, kind, date, date_lower, status, place, sources"


def cursor_at(conn, depth: int) -> tuple[str, Any]:
    """The API's cursor for the page that starts after `depth` developments."""
    day, id_ = conn.execute(
        "SELECT date_lower, id FROM timeline_development ORDER BY date_lower, id LIMIT 1 OFFSET %s",
        [depth - 1],
    ).fetchone()
    text = f"a|{day.isoformat()}|{id_}"  # timeline.selectors._encode_cursor's format
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("="), (day, id_)


def _sql_page(conn, where: str, params: list) -> None:
    rows = conn.execute(
        f"SELECT {COLUMNS} FROM timeline_development d {where} ORDER BY date_lower, id LIMIT 51",
        params,
    ).fetchall()
    ids = [r[0] for r in rows]
    conn.execute(
        "SELECT dt.development_id, t.slug FROM timeline_developmenttopic dt "
        "JOIN timeline_topic t ON t.id = dt.topic_id WHERE dt.development_id = ANY(%s)",
        [ids],
    ).fetchall()
    conn.execute(
        "SELECT da.development_id, a.slug, a.name, da.role FROM "
        "timeline_developmentactor da JOIN timeline_actor a ON a.id = da.actor_id "
        "WHERE da.development_id = ANY(%s)",
        [ids],
    ).fetchall()


def sql_latencies(conn, where: str, params: list, count: int) -> dict[str, float]:
    """The limit: the keyset query (and the links' two queries) straight on psycopg."""
    for _ in range(5):
        _sql_page(conn, where, params)
    took = []
    for _ in range(count):
        t = time.perf_counter()
        _sql_page(conn, where, params)
        took.append(time.perf_counter() - t)
    return {"p50": percentile(took, 50) * 1000, "p99": percentile(took, 99) * 1000}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=200, help="per endpoint and run")
    parser.add_argument("--endpoints", default="first,deep,topic,q,offset")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    from tqdm import tqdm

    url = os.environ["DATABASE_URL"]
    # Client-side binding, as Django's psycopg backend does: the same SQL reaches the
    # planner with its values, so it picks the same plan (the full-text one above all).
    with psycopg.connect(url, autocommit=True, cursor_factory=psycopg.ClientCursor) as conn:
        total = conn.execute("SELECT count(*) FROM timeline_development").fetchone()[0]
        depth = int(total * 0.9)
        cursor, (day, id_) = cursor_at(conn, depth)
        topic = conn.execute(
            "SELECT t.slug, t.id FROM timeline_topic t JOIN timeline_developmenttopic dt "
            "ON dt.topic_id = t.id GROUP BY t.slug, t.id ORDER BY count(*) LIMIT 1"
        ).fetchone()
        paths = {
            "first": "/api/v1/timeline",
            "deep": f"/api/v1/timeline?cursor={cursor}",
            "topic": f"/api/v1/timeline?topic={topic[0]}",
            "q": f"/api/v1/timeline?q={quote(QUERY)}",
            "offset": f"/bench/naive/timeline?offset={depth}",
        }
        limits = {
            "first": ("", []),
            "deep": ("WHERE (date_lower, id) > (%s, %s)", [day, id_]),
            "topic": (
                "WHERE EXISTS (SELECT 1 FROM timeline_developmenttopic dt WHERE "
                "dt.development_id = d.id AND dt.topic_id = %s)",
                [topic[1]],
            ),
            "q": (
                "WHERE to_tsvector('kz_french'::regconfig, COALESCE(search_text, '')) @@ "
                "websearch_to_tsquery('kz_french'::regconfig, %s)",
                [QUERY],
            ),
        }
        wanted = args.endpoints.split(",")
        paths = {k: v for k, v in paths.items() if k in wanted}
        limits = {k: v for k, v in limits.items() if k in wanted}
        got: dict[str, list[dict]] = {k: [] for k in paths}
        sql: dict[str, list[dict]] = {k: [] for k in limits}
        missing: dict[str, str] = {}
        with Server(dict(os.environ)) as server:
            for name, path in paths.items():
                status, _, body = get(server.port, path)
                if status != 200:
                    missing[name] = f"GET {path.split('?')[0]} answered {status}"
            steps = [name for _ in range(args.runs) for name in paths]
            for name in tqdm(steps, desc=f"api over {total:,} developments", leave=False):
                if name in missing:
                    continue
                # OFFSET at depth is slow by design (seconds at a million): a few requests
                # per run are enough to compare medians, and keep the bench in its budget.
                if name == "offset":
                    got[name].append(latencies(server.port, paths[name], 3, warm_up=1))
                    continue
                count = args.requests
                got[name].append(latencies(server.port, paths[name], count))
                if name in limits:
                    sql[name].append(sql_latencies(conn, *limits[name], count))
            worker_mb = server.worker_peak_mb()

    def stats(runs: list[dict], key: str) -> dict:
        return harness.as_dict(Stat.of([x[key] for x in runs])) if runs else {}

    figures: dict[str, Any] = {
        "developments": total,
        "depth": depth,
        "missing": missing,
        "worker_peak_mb": worker_mb,
        "topic_slug": topic[0],
    }
    for name in paths:
        figures[name] = {q: stats(got[name], q) for q in ("p50", "p99")}
        figures[name]["statuses"] = [x["statuses"] for x in got[name]]
        if name in sql:
            figures[f"sql_{name}"] = {q: stats(sql[name], q) for q in ("p50", "p99")}
    harness.write_output(args.out, [], figures)


if __name__ == "__main__":
    main()
