"""The admin at 1280 px, as an editor works in it all day: screenshots kept under
tests/artifacts/browser/, and the layout checked where it used to break."""

import pytest

from tests.base import make_editor, record
from timeline import commands
from timeline.models import Development

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "correct horse 42"


def log_in(page, base):
    make_editor("alice")
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base}/admin/")


def box(page, selector):
    return page.locator(selector).first.bounding_box()


def test_the_change_form_and_list_fit_at_1280(page, live_server, world):
    base = live_server.url
    development = record(
        title="Réunion du Conseil de coopération UE–Kazakhstan à Bruxelles, avec un titre long "
        "comme les éditeurs en écrivent",
        date="2026-05",
        status="scheduled",
    )
    log_in(page, base)
    page.goto(f"{base}/admin/timeline/development/{development.id}/change/")
    page.shot("change-form")
    width = page.evaluate("document.documentElement.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing sideways
    title, tools = box(page, "#content h2"), box(page, ".object-tools")
    assert tools["y"] >= title["y"] + title["height"] - 1  # the buttons sit below the title
    sources = box(page, "#sources-group")
    assert sources["x"] + sources["width"] <= width

    page.goto(f"{base}/admin/timeline/development/")
    page.shot("change-list")
    table, results = box(page, "#result_list"), box(page, "#changelist .results")
    assert table["x"] + table["width"] <= results["x"] + results["width"] + 1  # no column cut


def test_a_conflict_shows_both_versions_and_reapplies_in_the_browser(page, live_server, world):
    base = live_server.url
    development = record(title="Réunion à Bruxelles", place="Bruxelles")
    log_in(page, base)
    page.goto(f"{base}/admin/timeline/development/{development.id}/change/")
    # The date field says how to write each date meaning, under the field.
    assert "2023-05-16/2023-05-20" in page.locator(".field-date .help").inner_text()

    # Another editor corrects the title while this one edits the place.
    commands.development_correct(
        id=development.id,
        expected_version=1,
        changes={"title": "Réunion du Conseil à Bruxelles"},
        note="Titre précisé",
        by="bob",
        via="admin",
    )
    page.fill("#id_place", "Astana")
    page.fill("#id_note", "Lieu corrigé")
    page.click("input[name=_save]")
    page.wait_for_selector("#conflict")
    page.shot("conflict")
    conflict = page.locator("#conflict").inner_text()
    assert "Bruxelles" in conflict and "Astana" in conflict
    page.click("input[name=_reapply]")
    page.wait_for_selector(".messagelist")
    page.shot("reapplied")
    development = Development.objects.get(pk=development.id)
    assert (development.place, development.title) == ("Astana", "Réunion du Conseil à Bruxelles")
