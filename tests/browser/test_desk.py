"""The editors' desk in a real browser: paste seed text 001, accept two proposals (one with its
date edited), add the source to a development already recorded, reject the rest."""

from pathlib import Path

import pytest

from tests.base import make_editor, record
from tests.browser.conftest import ARTIFACTS
from timeline.models import Development, Event
from timeline.proposals.nlp import pipeline

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "correct horse 42"  # tests.base.make_editor's
SEED_001 = (
    Path(__file__).resolve().parents[2] / "timeline/seed/sources/001_0c0051620949b418.txt"
).read_text(encoding="utf-8")


@pytest.fixture(scope="module", autouse=True)
def language_model():
    """Loaded once before the page asks (the live server runs in this process): the first
    proposal of a fresh process otherwise spends its first seconds loading the model."""
    pipeline("fr")


def card(page, quote_part: str):
    return page.locator("fieldset.kz-card", has=page.locator("blockquote", has_text=quote_part))


def test_an_editor_turns_an_article_into_reviewed_developments(page, live_server, world):
    base = live_server.url
    make_editor("alice")
    council = record(
        title="22e Conseil de coopération Kazakhstan–UE",
        date="2025-12",
        status="scheduled",
        topics=["epca"],
        sources=[],
    )
    before = Event.objects.count()

    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base}/admin/")

    page.goto(f"{base}/admin/timeline/development/")
    page.click("text=Nouvelle source")
    page.fill("#id_text", SEED_001)
    page.fill("#id_publication", "Bruxelles Korner")
    page.fill("#id_title", "Kazakhstan – UE : dix ans d’un partenariat stratégique")
    page.fill("#id_author", "Kadir Duran")
    page.fill("#id_published", "2025-11-24")
    page.shot("source-pasted")
    page.click("input[name=_propose]", timeout=60_000)
    page.wait_for_selector("#decide-form", timeout=60_000)
    page.shot("proposals")
    folder = ARTIFACTS / "desk-at-1280"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / "proposals-viewport.png"))  # what an editor sees first
    assert page.locator("mark.kz-quote").count() == page.locator("fieldset.kz-card").count() >= 3
    assert Event.objects.count() == before  # proposing appends nothing

    today = card(page, "a présenté aujourd’hui une feuille de route")
    today.locator("input[value=accept]").check()
    today.locator("input[name$=-topics]").fill("epca")
    assert today.locator("input[name$=-date]").input_value() == "2025-11-24"

    anniversary = card(page, "10ᵉ anniversaire de l’EPCA")
    assert anniversary.locator("input[name$=-date]").input_value() == "2015"
    anniversary.locator("input[value=accept]").check()
    anniversary.locator("input[name$=-date]").fill("2015-12-21")
    anniversary.locator("input[name$=-title]").fill("Signature de l’APCR UE–Kazakhstan")
    anniversary.locator("input[name$=-topics]").fill("epca")

    next_week = card(page, "dès la semaine prochaine")
    offer = next_week.locator(f"input[value='add:{council.id}']")
    assert (
        "Add this source" in next_week.inner_text()
        or "Ajouter cette source" in next_week.inner_text()
    )
    offer.check()
    page.shot("decided")
    page.click("input[name=_decide]")
    page.wait_for_url(f"{base}/admin/timeline/development/")
    page.shot("recorded")

    new = Development.objects.exclude(id=council.id)
    assert new.count() == 2
    statement = new.get(date="2025-11-24")
    assert statement.sources[0]["publication"] == "Bruxelles Korner"
    assert "a présenté aujourd’hui une feuille de route" in statement.sources[0]["quote"]
    signature = new.get(date="2015-12-21")
    assert signature.title == "Signature de l’APCR UE–Kazakhstan"
    assert "10ᵉ anniversaire" in signature.sources[0]["quote"]

    appended = list(Event.objects.filter(position__gt=0).order_by("position"))[before:]
    assert sorted(e.type for e in appended) == [
        "DevelopmentRecorded",
        "DevelopmentRecorded",
        "DevelopmentSourceAdded",
    ]
    council.refresh_from_db()
    assert [s["quote"] for s in council.sources] == [
        next(s for s in council.sources)["quote"]
    ] and "semaine prochaine" in council.sources[0]["quote"]

    # Django's History page of that development tells the log in words, the added source too.
    page.goto(f"{base}/admin/timeline/development/{council.id}/history/")
    page.shot("history-page")
    history = page.locator("#history").inner_text()
    assert "Source ajoutée" in history and "Enregistré" in history
