"""Workload 5: one digest issue fanned out by real Celery workers on Redis to a local SMTP
sink, against a plain smtplib loop over one persistent connection to the same sink.

Set-up (untimed): a week of developments recorded through the commands, then confirmed
subscribers in bulk (COPY), plus unconfirmed and unsubscribed ones who must get nothing.
Each run publishes one issue (a different week) and waits for the sink to count every
frozen recipient, or for the time budget.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench import harness
from bench.harness import Stat
from bench.smtp_sink import Sink

UNCONFIRMED_SHARE = 0.02
UNSUBSCRIBED_SHARE = 0.01
SOME_TOPICS_SHARE = 0.2
CONCURRENCY = 4
LIMIT_SECONDS = 20.0


def record_week(topics: list[str], actors: list[str]) -> None:
    """Twelve developments: six that took place lately, six scheduled in the next days."""
    from bench.data import Generator
    from timeline.commands import development_record

    gen = Generator(topics, actors, seed=5)
    today = datetime.date.today()
    for i in range(12):
        fields = gen.fields()
        fields.pop("status")
        day = today + datetime.timedelta(days=(i - 6) if i < 6 else (i - 4))
        fields["date"] = day.isoformat()
        status = "took_place" if day <= today else "scheduled"
        development_record(fields={**fields, "status": status}, by="bench", via="api")


def add_subscribers(url: str, count: int, topic_ids: list[int]) -> None:
    import psycopg

    rng = random.Random(11)
    now = datetime.datetime.now(datetime.UTC)
    extra = int(count * (UNCONFIRMED_SHARE + UNSUBSCRIBED_SHARE))
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        with cur.copy(
            "COPY feeds_subscriber (email, key, language, all_topics, confirmed_at, "
            "unsubscribed_at, created_at, suppression_reason) FROM STDIN"
        ) as copy:
            for i in range(count + extra):
                confirmed = now if i < count or i % 3 else None
                left = now if i >= count and i % 3 == 0 and rng.random() < 0.5 else None
                if i >= count and confirmed is not None:
                    left = now  # confirmed, then unsubscribed
                copy.write_row(
                    (
                        f"reader{i}@example.org",
                        uuid.uuid4(),
                        "en" if rng.random() < 0.2 else "fr",
                        rng.random() >= SOME_TOPICS_SHARE,
                        confirmed,
                        left,
                        now,
                        "",  # not suppressed
                    )
                )
        cur.execute("SELECT id FROM feeds_subscriber WHERE NOT all_topics ORDER BY id")
        some = [r[0] for r in cur.fetchall()]
        with cur.copy("COPY feeds_subscriber_topics (subscriber_id, topic_id) FROM STDIN") as c:
            for sid in some:
                for tid in rng.sample(topic_ids, rng.choice((1, 2, 3))):
                    c.write_row((sid, tid))
        conn.execute("ANALYZE feeds_subscriber")


class Worker:
    """`celery -A kztrack worker` on the bench database, Redis db and sink."""

    def __init__(self, env: dict[str, str], log: Path, concurrency: int):
        self.env = env
        self.concurrency = concurrency
        self.log = log
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Worker:
        celery = Path(harness.PYTHON).parent / "celery"
        self.proc = subprocess.Popen(
            [
                str(celery),
                "-A",
                "kztrack",
                "worker",
                "-l",
                "info",
                "-P",
                "prefork",
                "-c",
                str(self.concurrency),
                "-n",
                f"bench{os.getpid()}@%h",
                "--without-mingle",
                "--without-gossip",
                "--without-heartbeat",
            ],
            cwd=harness.ROOT,
            env=self.env,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        harness.wait_for(
            lambda: " ready." in self.log.read_text(), timeout=90, what="the celery worker"
        )
        return self

    def peak_mb(self) -> float:
        assert self.proc is not None
        pids = [self.proc.pid, *harness.children_of(self.proc.pid)]
        return max(harness.peak_rss_mb(p) for p in pids)

    def __exit__(self, *exc) -> None:
        if self.proc is not None:
            harness.stop(self.proc)


def fan_out(week: str, sink: Sink, budget: float) -> dict[str, Any]:
    """Publish the week's issue and wait for the sink to count its recipients."""
    from tqdm import tqdm

    from feeds.models import Delivery
    from feeds.tasks import digest_publish_and_fan_out

    sink.ask("reset")
    started = time.time()
    # Publishing and starting the fan-out, as the beat and the command do (the service
    # alone publishes; tasks enqueue once it commits).
    digest = digest_publish_and_fan_out(week=week, force=True).digest  # this week's too
    assert digest is not None, f"no issue for {week}"
    expected = set(
        Delivery.objects.filter(digest=digest).values_list("subscriber__email", flat=True)
    )
    stalled_since = time.time()
    seen = 0
    with tqdm(total=len(expected), desc=f"digest {week}", unit="msg", leave=False) as bar:
        while True:
            total, last = sink.ask("total")
            bar.update(total - bar.n)
            if total != seen:
                seen, stalled_since = total, time.time()
            if total >= len(expected):
                break
            if time.time() - started > budget or time.time() - stalled_since > 60:
                break
            time.sleep(0.5)
    finished = total >= len(expected)
    elapsed = (last if finished else time.time()) - started
    time.sleep(2)  # let a duplicate, if any, arrive
    received = issue_counts(sink.ask("dump"), str(digest.number))
    return {
        "recipients": len(expected),
        "sent": sum(received.values()),
        "rate": sum(received.values()) / elapsed,
        "duplicates": sum(n - 1 for n in received.values() if n > 1),
        "missing": len(expected - set(received)),
        "unexpected": len(set(received) - expected),
        "finished": finished,
        "seconds": elapsed,
        "digest_id": digest.id,
    }


def issue_counts(dump: dict[str, int], issue: str) -> dict[str, int]:
    """Messages per recipient for one issue ("other" for the smtplib loop's)."""
    prefix = f"{issue}|"
    return {k[len(prefix) :]: n for k, n in dump.items() if k.startswith(prefix)}


def stop_fan_out(digest_id: int) -> None:
    """After a fan-out stopped at the budget: drop what is still queued, so the next run
    measures its own issue only (bench clean-up of bench data)."""
    from feeds.models import Delivery

    Delivery.objects.filter(digest_id=digest_id, status=Delivery.Status.PENDING).update(
        status=Delivery.Status.SKIPPED, error="bench: stopped at the time budget"
    )
    harness.flush_redis()


def smtp_limit(sink: Sink, message: bytes, recipients: list[str], budget: float) -> dict:
    sink.ask("reset")
    with tempfile.TemporaryDirectory() as tmp:
        msg, rcpts = Path(tmp, "message.eml"), Path(tmp, "recipients.txt")
        msg.write_bytes(message)
        rcpts.write_text("\n".join(recipients))
        run = harness.run_measured(
            ["-m", "bench.smtp_loop", str(sink.port), str(msg), str(rcpts), str(budget)],
            dict(os.environ),
        )
    time.sleep(1)
    received = issue_counts(sink.ask("dump"), "other")
    sent_text, seconds = run["stdout"].split()
    sent = int(sent_text)
    return {
        "rate": sent / float(seconds),
        "peak_mb": run["peak_mb"],
        "sent": sent,
        "finished": sent == len(recipients),
        "duplicates": sum(n - 1 for n in received.values() if n > 1),
        "missing": len(set(recipients[:sent]) - set(received)),
    }


def sample_message(digest_id: int) -> bytes:
    """The issue as one subscriber receives it, for the smtplib loop to send to everyone."""
    from feeds import emails, subscriptions
    from feeds.models import Delivery, Digest

    digest = Digest.objects.get(id=digest_id)
    delivery = Delivery.objects.filter(digest=digest).select_related("subscriber").first()
    recipient = subscriptions.recipient_for(delivery.subscriber)
    message = emails.digest_message(digest=digest, recipient=recipient, message_id="<x@bench>")
    return message.message().as_bytes(linesep="\r\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, required=True)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--budget", type=float, required=True, help="seconds, all runs")
    parser.add_argument(
        "--limit-seconds",
        type=float,
        default=LIMIT_SECONDS,
        help="how long the smtplib loop runs in each run (its rate needs no more)",
    )
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY, help="worker processes")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    os.environ.setdefault("DIGEST_PUBLISH_EMPTY_WEEKS", "true")
    harness.setup_django()
    import kztrack.celery  # noqa: F401 - the Celery app, so .delay() goes to Redis
    from bench.data import ensure_world
    from feeds.models import Delivery
    from feeds.weeks import week_of
    from timeline.models import Topic

    harness.flush_redis()
    topics, actors = ensure_world()
    record_week(topics, actors)
    url = os.environ["DATABASE_URL"]
    add_subscribers(url, args.subscribers, list(Topic.objects.values_list("id", flat=True)))
    # One issue per run: this week, then the weeks before (a week has one issue).
    now = datetime.datetime.now(datetime.UTC)
    weeks = [week_of(now - datetime.timedelta(weeks=i)) for i in range(args.runs)]
    fan_outs, limits, peaks = [], [], []
    ends = time.time() + args.budget
    with Sink() as sink, tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(sink.port),
            "CELERY_TASK_ALWAYS_EAGER": "false",
        }
        with Worker(env, Path(tmp, "worker.log"), args.concurrency) as worker:
            for i, week in enumerate(weeks):
                # Each run shares what is left of the budget; the smtplib loop needs
                # only a few seconds for its rate, the fan-out the rest.
                share = (ends - time.time()) / (len(weeks) - i)
                result = fan_out(week, sink, max(share - args.limit_seconds - 5, 10.0))
                fan_outs.append(result)
                if not result["finished"]:
                    stop_fan_out(result["digest_id"])
                message = sample_message(result["digest_id"])
                recipients = list(
                    Delivery.objects.filter(digest_id=result["digest_id"]).values_list(
                        "subscriber__email", flat=True
                    )
                )
                limits.append(smtp_limit(sink, message, recipients, args.limit_seconds))
            peaks.append(worker.peak_mb())
            # Deliveries the budget left unsent stay pending; the worker is stopped with them.
    figures = {
        "subscribers": args.subscribers,
        "runs": fan_outs,
        "limit_runs": limits,
        "rate": harness.as_dict(Stat.of([r["rate"] for r in fan_outs])),
        "limit_rate": harness.as_dict(Stat.of([r["rate"] for r in limits])),
        "worker_peak_mb": max(peaks),
        "concurrency": args.concurrency,
        "limit_peak_mb": max(r["peak_mb"] for r in limits),
    }
    harness.write_output(args.out, [], figures)


if __name__ == "__main__":
    main()
