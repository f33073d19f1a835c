"""Set-up, untimed: grow the bench database's log (and its read models) to a size.

python -m bench.grow --to 1000000 --out grow.json [--checksum]
"""

from __future__ import annotations

import argparse
import os
import time

from bench import harness


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--to", type=int, required=True, help="events in the log afterwards")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--checksum",
        action="store_true",
        help="also report the read models' checksum (to compare with a rebuild)",
    )
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    harness.setup_django()
    from tqdm import tqdm

    from bench.data import Generator, check_payloads, ensure_world, grow_log
    from timeline import projections
    from timeline.models import Event

    topics, actors = ensure_world()
    have = Event.objects.count()
    # A different seed per size: the streams of a later top-up are new ones.
    gen = Generator(topics, actors, seed=args.seed + have)
    check_payloads(Generator(topics, actors, seed=1), 100)
    todo = max(0, args.to - have)
    started = time.perf_counter()
    with tqdm(total=todo, desc=f"log → {args.to:,}", unit="ev", leave=False) as bar:
        grow_log(os.environ["DATABASE_URL"], gen, todo, progress=bar.update)
    figures = {
        "events": Event.objects.count(),
        "seconds": time.perf_counter() - started,
        "checkpoint": projections.checkpoint(),
    }
    if args.checksum:
        figures["checksum"] = projections.read_model_checksum()
    harness.write_output(args.out, [], figures)


if __name__ == "__main__":
    main()
