"""Changes to application code that a profile suggested, kept here until the lead applies
them. Each module can be installed into a bench child (BENCH_PATCHES=name) to measure its
gain in the same run; nothing in the app imports them."""

import importlib
import os


def install_from_env() -> list[str]:
    names = [n for n in os.environ.get("BENCH_PATCHES", "").split(",") if n]
    for name in names:
        importlib.import_module(f"bench.proposals.{name}").install()
    return names
