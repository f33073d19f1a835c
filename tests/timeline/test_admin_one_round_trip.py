"""An editor sees every field at fault in one round trip, the date included."""

import re

from django.test import Client

from tests.base import make_editor
from timeline.models import Event


def test_a_bad_date_is_named_with_the_missing_title_and_topics(world):
    client = Client()
    client.force_login(make_editor("zoe"))
    before = Event.objects.count()
    response = client.post(
        "/admin/timeline/development/add/",
        {
            "title": "",
            "kind": "meeting",
            "date": "mars 2025",
            "status": "took_place",
            "actors-TOTAL_FORMS": "0",
            "actors-INITIAL_FORMS": "0",
            "sources-TOTAL_FORMS": "0",
            "sources-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    rows_in_error = set(re.findall(r'class="form-row errors field-(\w+)', html))
    assert {"title", "date", "topics"} <= rows_in_error, rows_in_error
    assert "is not a date we understand" in html
    assert Event.objects.count() == before
