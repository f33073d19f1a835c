"""Fuzz the API from its own OpenAPI document (schemathesis, every check it has, as
`st run --checks all`): whatever a client sends, no answer is a 5xx, every answer matches
the document (status, content type, headers, body), a request the document allows is
accepted and one it forbids is refused, required headers and auth are enforced, an
undeclared method is a 405.

A small run joins `make test`; `make chaos` runs at least a thousand generated requests.
Both run twice: with an editor's token (the writes are fuzzed too) and without one.
"""

from collections import Counter

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS as REGISTERED
from schemathesis.checks import is_check_class, load_all_checks

from tests.base import development_fields, make_editor
from timeline import auth, commands

load_all_checks()
# `--checks all`: every check schemathesis registers.
CHECKS = [check for check in REGISTERED.get_all() if not is_check_class(check)]
FAST_EXAMPLES = 6
SLOW_EXAMPLES = 120
SLOW_MINIMUM = 1000

# Hypothesis runs many requests in one test: no deadline per example, no example database
# written into the checkout, and the fixtures are meant to be shared by every example.
# The short run in `make test` is the same every time (derandomized); the long one varies.
FUZZ = dict(
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


# Loaded once at collection: building the document touches no database.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
SEEN: Counter = Counter()


@pytest.fixture(params=["with a token", "without a token"])
def headers(request, db, world):
    """Something for the reads to find, and (or not) a token that may write."""
    cache.clear()  # the subscription rate limits count in the cache
    # Requests go through the real WSGI handler, which closes the database connection as
    # each request starts and ends; Django's test client holds that off the same way, so
    # the test's transaction survives.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    development = commands.development_record(
        fields=development_fields(status="scheduled", date="2027-01"), by="alice", via="admin"
    )
    commands.development_correct(
        id=development.id,
        expected_version=1,
        changes={"place": "Astana"},
        note="Lieu.",
        by="alice",
        via="admin",
    )
    _, token = auth.token_create(user=make_editor("fuzzer"), name="fuzz")
    yield {"Authorization": f"Bearer {token}"} if request.param == "with a token" else {}
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def call(case, headers):
    SEEN[case.operation.label] += 1
    case.call_and_validate(headers={**headers, **(case.headers or {})}, checks=CHECKS)


@schema.parametrize()
@settings(max_examples=FAST_EXAMPLES, derandomize=True, **FUZZ)
def test_generated_requests_get_no_5xx_and_answers_match_the_schema(case, headers):
    call(case, headers)


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=SLOW_EXAMPLES, **FUZZ)
def test_a_thousand_generated_requests_get_no_5xx_and_match_the_schema(case, headers):
    call(case, headers)


@pytest.mark.slow
def test_the_long_fuzz_sent_at_least_a_thousand_requests(capsys):
    """Runs after the long fuzz (pytest keeps file order): it did what it says."""
    total = sum(SEEN.values())
    with capsys.disabled():
        print(f"\nfuzz: {total} generated requests over {len(SEEN)} operations")
    assert total >= SLOW_MINIMUM, dict(SEEN)
