"""The app's settings, plus the bench-only URLs (the peer feed, the naive OFFSET page) and the
bench app (which can install a proposal from bench/proposals/ for a measurement)."""

from kztrack.settings import *  # noqa: F403
from kztrack.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "bench.apps.BenchConfig"]
ROOT_URLCONF = "bench.urls"
