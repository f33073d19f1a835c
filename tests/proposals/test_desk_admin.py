"""The admin's "Nouvelle source" page, through Django's test client (the browser test walks it
as a person does)."""

import re

import pytest

from tests.base import make_editor, record
from tests.proposals.test_unseen_text import PRESS_RELEASE
from timeline.models import Development, Event

URL = "/admin/timeline/development/new-source/"
PASSWORD = "correct horse 42"


@pytest.fixture
def editor_client(client, world):

    client.force_login(make_editor("alice"))
    return client


def propose(client, text=PRESS_RELEASE):
    return client.post(
        URL,
        {
            "step": "propose",
            "text": text,
            "publication": "Communiqué <b>officiel</b>",
            "title": "Un communiqué",
            "author": "",
            "url": "https://example.org/communique",
            "published": "2026-03-12",
        },
    )


def decide(client, response, decisions, edits=None):
    """Post the decision form back as the page rendered it, with some choices changed."""
    html = response.content.decode()
    form = html[html.index('id="decide-form"') :]
    data = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form):
        data[name] = _unescape(value)
    data["text"] = _unescape(
        re.search(r"<textarea name=\"text\" hidden>(.*?)</textarea>", form, re.S).group(1)
    )
    for name, value in re.findall(
        r'<input type="text" id="[^"]+" name="([^"]+)" value="([^"]*)"', form
    ):
        data[name] = _unescape(value)
    for name, value in re.findall(
        r'<textarea id="[^"]+" name="([^"]+)" rows="3">(.*?)</textarea>', form, re.S
    ):
        data[name] = _unescape(value)
    for name in set(re.findall(r'<select id="[^"]+" name="([^"]+)">', form)):
        block = form[form.index(f'name="{name}"') :]
        data[name] = re.search(r'<option value="([^"]+)" selected>', block).group(1)
    data.update(decisions)
    data.update(edits or {})
    return client.post(URL, data)


def _unescape(value):
    import html

    return html.unescape(value)


def card_index(response, quote_start):
    html = response.content.decode()
    for index, value in re.findall(r'name="p-(\d+)-quote" value="([^"]*)"', html):
        if _unescape(value).startswith(quote_start):
            return int(index)
    raise AssertionError(quote_start)


def test_it_proposes_without_recording_and_escapes_the_text(editor_client):
    before = Event.objects.count()
    response = propose(
        editor_client,
        PRESS_RELEASE + "\n<script>alert(1)</script> le 4 mars a eu lieu une rencontre.",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert '<mark class="kz-quote" id="quote-0">' in html
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html
    assert "Communiqué &lt;b&gt;officiel&lt;/b&gt;" in html
    assert "[2026-03-02..2026-03-08]" in html
    assert Event.objects.count() == before


def test_accepted_proposals_are_recorded_and_the_rest_is_not(editor_client):
    before = Event.objects.count()
    page = propose(editor_client)
    spring = card_index(page, "Un forum d'affaires")
    tuesday = card_index(page, "Le mardi 3 mars")
    response = decide(
        editor_client,
        page,
        {f"p-{spring}-decision": "accept", f"p-{tuesday}-decision": "accept"},
        {
            f"p-{spring}-topics": "epca",
            f"p-{tuesday}-topics": "epca",
            f"p-{tuesday}-date": "2026-03",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Event.objects.count() == before + 2
    forum = Development.objects.get(date="2027-21")
    assert forum.status == "scheduled"
    assert forum.sources[0]["quote"].startswith("Un forum d'affaires")
    assert forum.sources[0]["publication"] == "Communiqué <b>officiel</b>"
    assert Development.objects.filter(date="2026-03", title__startswith="Le mardi 3 mars").exists()


def test_one_refused_card_records_nothing_and_says_why(editor_client):
    before = Event.objects.count()
    page = propose(editor_client)
    spring = card_index(page, "Un forum d'affaires")
    tuesday = card_index(page, "Le mardi 3 mars")
    response = decide(
        editor_client,
        page,
        {f"p-{spring}-decision": "accept", f"p-{tuesday}-decision": "accept"},
        {f"p-{spring}-topics": "epca", f"p-{tuesday}-topics": "epca", f"p-{tuesday}-date": "mars"},
    )
    assert response.status_code == 200
    assert "date:" in response.content.decode()
    assert Event.objects.count() == before


def test_a_source_is_added_to_what_is_already_recorded(editor_client):
    memorandum = record(title="Mémorandum UE–Kazakhstan sur l'hydrogène vert signé", date="2026-03")
    page = propose(editor_client)
    html = page.content.decode()
    assert f'value="add:{memorandum.id}"' in html
    last_week = card_index(page, "La semaine dernière")
    response = decide(editor_client, page, {f"p-{last_week}-decision": f"add:{memorandum.id}"})
    assert response.status_code == 302
    event = Event.objects.filter(stream_id=memorandum.id).order_by("-version").first()
    assert event.type == "DevelopmentSourceAdded"
    memorandum.refresh_from_db()
    assert len(memorandum.sources) == 2
    assert memorandum.sources[1]["quote"].startswith("La semaine dernière")
