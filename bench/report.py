"""Rows of latest.json for workloads 2–6, from the figures the workload processes wrote
(workload 1 makes its own rows), and the table printed at the end."""

from __future__ import annotations

from typing import Any

from bench.harness import Stat, missing_row, row

# What profiles showed limits a figure; quoted in the note of a goal not met.
CAUSES = {
    "rebuild": (
        "CPU accounting at 100,000 events (load 3 on 2 cores): ~100 µs per event in the "
        "Python process and 36–45 µs in PostgreSQL's writing backend; the reading backend's "
        "share was not measured apart (the whole scan, its Python included, is 35 µs): "
        "~140–180 µs of CPU per event, which caps any schedule on 2 cores near 11,000–"
        "14,000 ev/s. cProfile of the replay (28 s under the profiler): 7 s waiting on "
        "PostgreSQL, ~8 s writing the COPY rows, 5 s the search text, 3.9 s the handlers "
        "and EDTF bounds, 2.2 s decoding payloads. Then the dropped indexes and foreign "
        "keys are put back, 10–20 s per 100,000 rows (the trigram GIN index two thirds of "
        "it, two builds at a time). 20,000 ev/s needs under 100 µs of CPU per event in all"
    ),
    "append": (
        "profile: 7 statements per record (topic and actor checks, the log lock, one head "
        "query, the INSERT, one INSERT … ON CONFLICT for the row, its links and the "
        "checkpoint, the development read back), with BEGIN, COMMIT and the log stamp's two "
        "Redis commands 11 round trips against 4 for the limit; the rest is validation, "
        "EDTF parsing and Django's ORM in Python; the advisory lock serialises writers, so "
        "4 writers cannot beat 1 × the limit"
    ),
    "api": (
        "profile (py-spy on the gunicorn worker, first page): half of a request waits on "
        "three round trips (the page query with its links 20 %, the log stamp's Redis GET "
        "16 %, the connection's health check 12 %), 29 % is Django's ORM building the query "
        "and converting 51 rows, 11 % the items and their JSON; the SQL alone is the limit; "
        "p99 also carries the shared machine's noise"
    ),
    "feeds": "a 304 is one cache read (the log stamp) and no SQL; the rest is Django and gunicorn",
    "digest": (
        "per message (cProfile, CPU time): Django's message() and the email generator "
        "(~1 ms), the frame's two small templates, one UPDATE and its commit, smtplib; the "
        "body is rendered once per kind of reader; on 2 cores the sink's own CPU is what "
        "the limit measures"
    ),
}


def _stat(d: dict | None) -> Stat:
    if not d:
        return Stat(float("nan"), float("nan"), float("nan"), [])
    return Stat(d["median"], d["min"], d["max"], d.get("runs", []))


def _why(key: str, met: bool, extra: str = "") -> str:
    parts = [extra] if extra else []
    if not met:
        parts.append(CAUSES[key])
    return "; ".join(p for p in parts if p)


def rows(figures: dict[str, Any], plan: dict[str, Any], only: set[int]) -> list[dict]:
    out: list[dict] = []
    sizes = [str(s) for s in plan["sizes"]]
    by_size = figures.get("sizes", {})
    largest = by_size.get(sizes[-1], {})
    failures = figures.get("failures", {})
    if 2 in only:
        out += rebuild_rows(
            largest.get("rebuild"),
            by_size.get(sizes[0], {}).get("rebuild"),
            failures.get("rebuild", ""),
        )
    if 3 in only:
        out += api_rows(largest.get("api"), failures.get("api", ""))
    if 4 in only:
        out += feed_rows(figures.get("feeds"), failures.get("feeds", ""))
    if 5 in only:
        out += digest_rows(figures.get("digest"), plan, failures.get("digest", ""))
    if 6 in only:
        out += growth_rows(by_size, sizes)
    return out


# --- 2 rebuild ---------------------------------------------------------------------------


def rebuild_rows(f: dict | None, small: dict | None, failure: str) -> list[dict]:
    w = "2 rebuild"
    limit = "server-side cursor scan decoding the JSON (the limit)"
    if not f:
        note = f"not measured: {failure or 'no rebuild figures'}"
        return [
            missing_row(w, "events/s", "ev/s", limit, "≥ 20,000 ev/s", note),
            missing_row(w, "events/s vs the limit", "ev/s", limit, "≥ 0.3 × limit", note),
            missing_row(w, "peak memory", "MB", "the scan's peak memory", "≤ 300 MB", note),
        ]
    rate, scan = _stat(f["rate"]), _stat(f["scan_rate"])
    runs = len(f["applied"])
    facts = [f"{f['events']:,} events"]
    if f["finished"] < runs:
        facts.append(
            f"{runs - f['finished']} of {runs} runs reached the {f['cap_seconds']:.0f} s "
            f"budget and were stopped after {min(f['applied']):,}–{max(f['applied']):,} "
            "events; the rate counts the events applied"
        )
    if f.get("matches_setup") is False:
        facts.append("WARNING: the rebuilt read models differ from the bench's set-up")
    note = "; ".join(facts)
    met_abs = rate.median >= 20_000
    met_rel = rate.median >= 0.3 * scan.median
    peak, scan_peak = _stat(f["peak_mb"]), _stat(f["scan_peak_mb"])
    return [
        row(
            w,
            "events/s",
            "ev/s",
            rate,
            limit,
            scan,
            goal="≥ 20,000 ev/s",
            met=met_abs,
            note=_why("rebuild", met_abs, note),
        ),
        row(
            w,
            "events/s vs the limit",
            "ev/s",
            rate,
            limit,
            scan,
            goal="≥ 0.3 × limit",
            met=met_rel,
            note=_why("rebuild", met_rel, note),
        ),
        row(
            w,
            "peak memory",
            "MB",
            peak,
            "the scan's peak memory",
            scan_peak,
            goal="≤ 300 MB",
            met=peak.median <= 300,
            higher_is_better=False,
            note=note,
        ),
    ]


# --- 3 api -------------------------------------------------------------------------------

API_NAMES = {
    "first": "first page",
    "deep": "page at depth ~90 % by cursor",
    "topic": "topic filter, first page",
    "q": "full-text query, first page",
}


def api_rows(f: dict | None, failure: str) -> list[dict]:
    w = "3 timeline API"
    result: list[dict] = []
    missing = (f or {}).get("missing", {})
    # Issue 13's goals, for each of the four requests.
    goals = {"p50": 10, "p99": 25}
    for name, label in API_NAMES.items():
        limit = "raw SQL keyset query (the limit)"
        if not f or name in missing or not f.get(name, {}).get("p99"):
            note = f"not measured: {missing.get(name) or failure or 'no figures'}"
            for q in ("p50", "p99"):
                goal = f"≤ {goals[q]} ms"
                result.append(missing_row(w, f"{label}, {q}", "ms", limit, goal, note))
            continue
        size = f"{f['developments']:,} developments"
        if name == "deep":
            size += f", after {f['depth']:,}"
        for q in ("p50", "p99"):
            value, sql = _stat(f[name][q]), _stat(f[f"sql_{name}"][q])
            met = value.median <= goals[q]
            result.append(
                row(
                    w,
                    f"{label}, {q}",
                    "ms",
                    value,
                    limit,
                    sql,
                    goal=f"≤ {goals[q]} ms",
                    met=met,
                    higher_is_better=False,
                    note=_why("api", met, size),
                )
            )
    if f and not {"first", "deep"} & set(missing) and f.get("deep", {}).get("p50"):
        deep, first = _stat(f["deep"]["p50"]), _stat(f["first"]["p50"])
        ratio = Stat.of([deep.median / first.median])
        sql_ratio = Stat.of([f["sql_deep"]["p50"]["median"] / f["sql_first"]["p50"]["median"]])
        result.append(
            row(
                w,
                "deep page ÷ first page (p50)",
                "×",
                ratio,
                "the same for the raw SQL",
                sql_ratio,
                goal="≤ 1.2",
                met=ratio.median <= 1.2,
                higher_is_better=False,
            )
        )
        if f.get("offset", {}).get("p50"):
            offset = _stat(f["offset"]["p50"])
            speedup = offset.median / deep.median
            result.append(
                row(
                    w,
                    "deep page by cursor vs by OFFSET (p50)",
                    "ms",
                    deep,
                    "the same page by OFFSET, same server (naive API)",
                    offset,
                    goal="≥ 10 × faster",
                    met=speedup >= 10,
                    higher_is_better=False,
                )
            )
        else:
            result.append(
                missing_row(
                    w,
                    "deep page by cursor vs by OFFSET (p50)",
                    "ms",
                    "the same page by OFFSET",
                    "≥ 10 × faster",
                    f"not measured: {missing.get('offset', failure)}",
                )
            )
    else:
        note = f"not measured: {failure or missing}"
        result.append(missing_row(w, "deep page ÷ first page (p50)", "×", "raw SQL", "≤ 1.2", note))
        result.append(
            missing_row(
                w,
                "deep page by cursor vs by OFFSET (p50)",
                "ms",
                "the same page by OFFSET",
                "≥ 10 × faster",
                note,
            )
        )
    return result


# --- 4 feeds -----------------------------------------------------------------------------


def feed_rows(f: dict | None, failure: str) -> list[dict]:
    w = "4 feeds"
    specs = [
        ("timeline", "/feeds/timeline.rss, full responses", 2),
        ("timeline_304", "/feeds/timeline.rss, 304 Not Modified", 5),
        ("topic", "topic feed, full responses", 2),
    ]
    result = []
    for key, label, factor in specs:
        peer = "django.contrib.syndication feed, same 50 items, same server (the peer)"
        goal = f"≥ {factor} × peer"
        ours, theirs = (f or {}).get(f"{key}/ours"), (f or {}).get(f"{key}/peer")
        if not ours or not theirs:
            why = (f or {}).get("missing", {})
            note = f"not measured: {why.get(f'{key}/ours') or why.get(f'{key}/peer') or failure}"
            result.append(missing_row(w, label, "req/s", peer, goal, note))
            continue
        value, base = _stat(ours), _stat(theirs)
        met = value.median >= factor * base.median
        errors = f.get("errors", {}).get(f"{key}/ours", 0)
        extra = f"{f.get('client', '')} client, 4 connections" + (
            f"; {errors} error responses" if errors else ""
        )
        result.append(
            row(
                w,
                label,
                "req/s",
                value,
                peer,
                base,
                goal=goal,
                met=met,
                note=_why("feeds", met, extra) if key.endswith("304") else extra,
            )
        )
    return result


# --- 5 digest ----------------------------------------------------------------------------


def digest_rows(f: dict | None, plan: dict[str, Any], failure: str) -> list[dict]:
    w = "5 digest"
    limit = "smtplib loop, one persistent connection, same sink (the limit)"
    if not f:
        note = f"not measured: {failure or 'no figures'}"
        return [
            missing_row(w, "messages/s", "msg/s", limit, "≥ 0.5 × limit", note),
            missing_row(w, "duplicates", "msgs", limit, "0", note),
            missing_row(w, "missing", "msgs", limit, "0", note),
            missing_row(w, "worker peak memory", "MB", limit, "≤ 300 MB", note),
        ]
    runs, limits = f["runs"], f["limit_runs"]
    rate, base = _stat(f["rate"]), _stat(f["limit_rate"])
    unfinished = [r for r in runs if not r["finished"]]
    facts = [
        f"{f['subscribers']:,} confirmed subscribers (plus unconfirmed and unsubscribed "
        f"ones), {runs[0]['recipients']:,} recipients per issue, {len(runs)} issue(s)"
    ]
    if unfinished:
        facts.append(
            f"{len(unfinished)} fan-out(s) stopped at the time budget after "
            f"{min(r['sent'] for r in unfinished):,} messages: duplicates count among those "
            "sent, missing counts those not sent yet"
        )
    note = "; ".join(facts)
    met_rate = rate.median >= 0.5 * base.median
    dups = Stat.of([r["duplicates"] + r["unexpected"] for r in runs])
    missing = Stat.of([r["missing"] for r in runs])
    limit_dups = Stat.of([r["duplicates"] for r in limits])
    limit_missing = Stat.of([r["missing"] for r in limits])
    memory = Stat.of([f["worker_peak_mb"]])
    return [
        row(
            w,
            "messages/s",
            "msg/s",
            rate,
            limit,
            base,
            goal="≥ 0.5 × limit",
            met=met_rate,
            note=_why("digest", met_rate, note),
        ),
        row(
            w,
            "duplicates (and messages to unconfirmed or unsubscribed)",
            "msgs",
            dups,
            limit,
            limit_dups,
            goal="0",
            met=dups.max == 0,
            higher_is_better=False,
            note=note,
        ),
        row(
            w,
            "missing",
            "msgs",
            missing,
            limit,
            limit_missing,
            goal="0",
            met=missing.max == 0 and not unfinished,
            higher_is_better=False,
            note=note,
        ),
        row(
            w,
            "worker peak memory (largest process)",
            "MB",
            memory,
            "the smtplib loop's peak memory",
            Stat.of([f["limit_peak_mb"]]),
            goal="≤ 300 MB",
            met=memory.median <= 300,
            higher_is_better=False,
            note=f"celery prefork, concurrency {f.get('concurrency', 4)}",
        ),
    ]


# --- 6 growth ----------------------------------------------------------------------------


def growth_rows(by_size: dict[str, Any], sizes: list[str]) -> list[dict]:
    w = "6 growth"
    specs = [
        # (label, unit, path in the size's figures, higher is better, goal text, bound)
        ("first page p99", "ms", ("api", "first", "p99"), False, "flat: ≤ 1.5 × at 1/100", 1.5),
        ("deep page p99", "ms", ("api", "deep", "p99"), False, "flat: ≤ 1.5 × at 1/100", 1.5),
        (
            "rebuild time per event",
            "µs/ev",
            ("rebuild", "rate"),
            False,
            "linear: ≤ 1.5 × at 1/100",
            1.5,
        ),
        ("rebuild peak memory", "MB", ("rebuild", "peak_mb"), False, "flat: ≤ 1.5 × at 1/100", 1.5),
        (
            "append developments/s, 1 writer",
            "dev/s",
            ("append", "rate"),
            True,
            "flat: ≥ 0.67 × at 1/100",
            1 / 1.5,
        ),
        ("append p99, 1 writer", "ms", ("append", "p99"), False, "flat: ≤ 1.5 × at 1/100", 1.5),
    ]
    result = []
    for label, unit, path, higher, goal, bound in specs:
        values = {}
        for size in sizes:
            node: Any = by_size.get(size, {})
            for key in path:
                node = node.get(key, {}) if isinstance(node, dict) else {}
            if node and node.get("median"):  # none, or 0: nothing applied in the budget
                stat = _stat(node)
                if path == ("rebuild", "rate"):  # time per event, so that linear is flat
                    stat = Stat(
                        1e6 / stat.median,
                        1e6 / stat.max,
                        1e6 / stat.min if stat.min else float("inf"),
                        stat.runs,
                    )
                values[size] = stat
        first, last = sizes[0], sizes[-1]
        metric = f"{label}, at {int(last):,} events vs {int(first):,}"
        if first not in values or last not in values:
            result.append(
                missing_row(
                    w,
                    metric,
                    unit,
                    f"the same at {int(first):,} events",
                    goal,
                    "not measured at every size (or nothing applied within the time budget)",
                )
            )
            continue
        small, big = values[first], values[last]
        met = big.median >= bound * small.median if higher else big.median <= bound * small.median
        out = row(
            w,
            metric,
            unit,
            big,
            f"the same at {int(first):,} events",
            small,
            goal=goal,
            met=met,
            higher_is_better=higher,
        )
        out["by_size"] = {s: round(v.median, 3) for s, v in values.items()}
        result.append(out)
    return result


# --- the table ---------------------------------------------------------------------------


def _num(x: Any) -> str:
    if x is None:
        return "—"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:.3g}"


def table(rows: list[dict]) -> str:
    """The rows as a Markdown table (also what README's Performance section shows)."""
    lines = [
        "| workload | metric | value (min–max) | baseline | baseline value | ratio | goal | met |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        value = f"{_num(r['value'])} {r['unit']}"
        if r.get("runs", 0) > 1:
            value += f" ({_num(r['min'])}–{_num(r['max'])})"
        lines.append(
            f"| {r['workload']} | {r['metric']} | {value} | {r['baseline']} | "
            f"{_num(r['baseline_value'])} | {_num(r['ratio'])} | {r['goal']} | "
            f"{'yes' if r['met'] else 'no'} |"
        )
    return "\n".join(lines)
