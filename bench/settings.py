"""The app's settings, plus the bench-only URLs (the peer feed, the naive OFFSET page)."""

from kztrack.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
