"""Django's "History" page of a development speaks like the development's own history."""

from django.test import Client

from tests.base import record
from timeline import commands


def test_the_history_page_tells_the_log_in_words(editor, world):
    development = record(title="Réunion <b>du</b> Conseil", date="2026-05", status="scheduled")
    commands.development_reschedule(
        id=development.id,
        expected_version=1,
        date="2026-06",
        note="Report",
        by="alice",
        via="admin",
    )
    client = Client()
    client.force_login(editor)
    response = client.get(f"/admin/timeline/development/{development.id}/history/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Reprogrammé" in html or "Rescheduled" in html
    assert "Report" in html
    assert "Changed reschedule" not in html and "Modifié reschedule" not in html
    assert "Réunion &lt;b&gt;du&lt;/b&gt; Conseil" in html


def test_the_history_page_of_an_unknown_development_redirects(editor, world):
    client = Client()
    client.force_login(editor)
    response = client.get(
        "/admin/timeline/development/00000000-0000-0000-0000-000000000000/history/"
    )
    assert response.status_code == 302
