"""Workload 4: feeds under gunicorn, requests/s, against a django.contrib.syndication peer.

The peer (bench/peers.py) serves the same 50 developments from the same server; its 304s
come from Django's ConditionalGetMiddleware, which renders the feed before comparing.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

import psycopg

from bench import harness
from bench.harness import Stat
from bench.http import Server, get, throughput


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5, help="per measurement")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    from tqdm import tqdm

    with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
        slug = conn.execute(
            "SELECT t.slug FROM timeline_topic t JOIN timeline_developmenttopic dt "
            "ON dt.topic_id = t.id GROUP BY t.slug ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()[0]
    pairs = {
        "timeline": ("/feeds/timeline.rss", "/bench/peer/timeline.rss"),
        "timeline_304": ("/feeds/timeline.rss", "/bench/peer/timeline-conditional.rss"),
        "topic": (f"/feeds/topics/{slug}.rss", f"/bench/peer/topics/{slug}.rss"),
    }
    figures: dict[str, Any] = {"topic_slug": slug, "missing": {}, "items": {}}
    got: dict[str, list[float]] = {}
    errors: dict[str, int] = {}
    with Server(dict(os.environ)) as server:
        headers: dict[str, dict[str, str]] = {}
        for name, (ours, peer) in pairs.items():
            for who, path in (("ours", ours), ("peer", peer)):
                status, head, body = get(server.port, path)
                key = f"{name}/{who}"
                if status != 200:
                    figures["missing"][key] = f"GET {path} answered {status}"
                    continue
                figures["items"][key] = body.count(b"<item>")
                if name.endswith("_304"):
                    etag = head.get("ETag") or head.get("etag")
                    headers[key] = {"If-None-Match": etag} if etag else {}
                    again = get(server.port, path, headers[key])[0]
                    if again != 304:
                        figures["missing"][key] = f"GET {path} with If-None-Match gave {again}"
        steps = [
            (r, name, who) for r in range(args.runs) for name in pairs for who in ("ours", "peer")
        ]
        for _, name, who in tqdm(steps, desc="feeds", leave=False):
            key = f"{name}/{who}"
            if key in figures["missing"]:
                continue
            path = pairs[name][0 if who == "ours" else 1]
            result = throughput(server.port, path, args.seconds, args.connections, headers.get(key))
            got.setdefault(key, []).append(result["rps"])
            errors[key] = errors.get(key, 0) + result["errors"]
            figures["client"] = result["client"]
        figures["worker_peak_mb"] = server.worker_peak_mb()
    figures["errors"] = errors
    for key, values in got.items():
        figures[key] = harness.as_dict(Stat.of(values))
    harness.write_output(args.out, [], figures)


if __name__ == "__main__":
    main()
