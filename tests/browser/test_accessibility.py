"""axe-core in a real browser: no serious or critical violation on the readers' pages."""

import pytest
from django.core.management import call_command

from timeline.models import Development

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_the_readers_pages_have_no_serious_accessibility_violation(page, live_server, audit):
    call_command("loadseed", verbosity=0)
    base = live_server.url
    development = Development.objects.order_by("date_lower").last()
    paths = [
        "/",
        "/?topic=epca",
        "/topics/epca/",
        f"/developments/{development.id}/",
        "/digests/",
        "/subscribe/",
    ]
    found = {}
    for path in paths:
        page.goto(base + path)
        violations = audit(page)
        if violations:
            found[path] = violations
    page.shot("audited")
    assert found == {}
