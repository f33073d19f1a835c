"""Readers' pages: the timeline, a topic's thread, one development, and the 404 page."""

import datetime
import json
import re
import uuid
from html import unescape

import pytest
from django.utils import timezone

from tests.base import record
from timeline import commands
from timeline.models import Actor, Topic

pytestmark = pytest.mark.django_db

XSS = "<script>alert(1)</script>"


def english(client):
    client.cookies["django_language"] = "en"
    return client


def text_of(response) -> str:
    """The page's text, roughly: tags, scripts and the picture dropped, entities decoded."""
    html = response.content.decode()
    html = re.sub(r"<(script|svg)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


# --- the timeline -----------------------------------------------------------------------


def test_it_shows_developments_grouped_by_year_and_month_with_true_precision(client, world):
    record(title="Sommet de Samarcande", date="2025-04-03/2025-04-04")
    record(title="Visite à Luxembourg", date="2023-05-16/2023-05-20")
    record(title="Réforme annoncée", date="2022-23")
    response = client.get("/")
    assert response.status_code == 200
    text = text_of(response)
    assert "3–4 avril 2025" in text
    assert "16–20 mai 2023" in text
    assert "automne 2022" in text
    # Newest first, under their year and month; the season is not given a month.
    assert text.index("2025") < text.index("avril 2025") < text.index("Sommet de Samarcande")
    assert text.index("Sommet de Samarcande") < text.index("Visite à Luxembourg")
    assert text.index("mai 2023") < text.index("Visite à Luxembourg")
    assert "septembre 2022" not in text


def test_it_shows_kind_place_and_topics_of_each_development(client, world):
    record(title="Conseil de coopération", kind="meeting", place="Bruxelles")
    text = text_of(english(client).get("/"))
    assert "Conseil de coopération" in text
    assert "meeting · Bruxelles" in text
    assert "EPCA" in text and "Visa facilitation" in text


def test_it_marks_scheduled_cancelled_corrected_and_retracted_developments(client, world):
    record(title="Prévu", status="scheduled", date="2099-05")
    cancelled = record(title="Annulé", status="scheduled", date="2099-06")
    commands.development_cancel(
        id=cancelled.id, expected_version=1, reason="Reporté sine die.", by="alice", via="admin"
    )
    corrected = record(title="Corrigé", date="2020-01")
    commands.development_correct(
        id=corrected.id,
        expected_version=1,
        changes={"place": "Astana"},
        note="Le lieu était faux.",
        by="alice",
        via="admin",
    )
    retracted = record(title="Retiré", date="2019-01")
    commands.development_retract(
        id=retracted.id, expected_version=1, reason="Erreur.", by="alice", via="admin"
    )
    html = english(client).get("/").content.decode()
    assert re.search(r"status-scheduled.*?Prévu.*?mark-scheduled", html, re.S)
    assert re.search(r"status-cancelled.*?Annulé.*?mark-cancelled", html, re.S)
    assert re.search(r'is-corrected.*?Corrigé.*?mark-corrected">corrected', html, re.S)
    assert re.search(r'status-retracted.*?Retiré.*?mark-retracted">retracted', html, re.S)


def test_it_shows_scheduled_developments_in_the_upcoming_band(client, world):
    soon = (timezone.localdate() + datetime.timedelta(days=10)).isoformat()
    record(title="Visite prévue", status="scheduled", date=soon)
    record(title="Déjà passé", date="2020-01-01")
    response = english(client).get("/")
    band = re.search(r'<section class="upcoming".*?</section>', response.content.decode(), re.S)
    assert band is not None
    assert "Upcoming" in band.group(0)
    assert "Visite prévue" in band.group(0)
    assert "Déjà passé" not in band.group(0)


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("topic=visa-facilitation", "Visas", "APCR seul"),
        ("actor=kaja-kallas", "Visas", "APCR seul"),
        ("kind=visit", "Visas", "APCR seul"),
        ("status=scheduled", "Visas", "APCR seul"),
        ("from=2030&to=2030-12", "Visas", "APCR seul"),
        ("q=libéralisation", "Visas", "APCR seul"),
        ("q=Kallas", "Visas", "APCR seul"),
    ],
)
def test_it_filters_the_timeline(client, world, query, shown, hidden):
    record(
        title="Visas",
        topics=["visa-facilitation"],
        kind="visit",
        status="scheduled",
        date="2030-05",
        summary="Vers la libéralisation des visas.",
        actors=[{"actor": "kaja-kallas", "role": "haute représentante"}],
    )
    record(
        title="APCR seul",
        topics=["epca"],
        kind="meeting",
        date="2024-02",
        summary="Un autre sujet.",
    )
    text = text_of(client.get(f"/?{query}"))
    assert shown in text
    assert hidden not in text


def test_it_finds_words_by_their_french_stem(client, world):
    record(title="Les négociations reprennent", summary="")
    record(title="Autre chose", summary="")
    text = text_of(client.get("/?q=négociation"))
    assert "Les négociations reprennent" in text
    assert "Autre chose" not in text


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("topic=nope", "topic"),
        ("actor=nobody", "actor"),
        ("kind=party", "kind"),
        ("status=maybe", "status"),
        ("from=2023-13", "from"),
        ("from=2024&to=2020", "to"),
        ("q=" + "x" * 300, "q"),
        ("q=%00", "q"),
        ("cursor=garbage", "cursor"),
    ],
)
def test_it_says_which_filter_is_wrong_instead_of_failing(client, world, query, field):
    record()
    response = english(client).get(f"/?{query}")
    assert response.status_code == 400
    assert 'class="error"' in response.content.decode()


def test_it_pages_through_the_timeline_with_a_next_link(client, world):
    for day in range(1, 56):
        record(
            title=f"Jour {day}",
            date=(datetime.date(2024, 1, 1) + datetime.timedelta(days=day)).isoformat(),
        )
    first = client.get("/")
    html = first.content.decode()
    assert html.count('class="development ') == 50 + 0  # no upcoming: all took place
    link = re.search(r'<a rel="next" href="([^"]+)"', html).group(1)
    second = client.get("/" + unescape(link))
    text = text_of(second)
    assert second.status_code == 200
    assert second.content.decode().count('class="development ') == 5
    assert "Jour 1 " in text and "Jour 55" not in text
    assert 'rel="next"' not in second.content.decode()


def test_it_escapes_everything_editors_typed(client, world):
    Actor.objects.create(slug="evil", name=XSS)
    dev = record(
        title=XSS,
        summary=XSS,
        place=XSS,
        date_note=XSS,
        actors=[{"actor": "evil", "role": XSS}],
        sources=[
            {
                "publication": XSS,
                "title": XSS,
                "author": XSS,
                "url": "https://example.org/?q=<script>",
                "quote": XSS,
            }
        ],
    )
    commands.development_correct(
        id=dev.id,
        expected_version=1,
        changes={"summary": "Propre."},
        note=XSS,
        by="alice",
        via="admin",
    )
    for url in ["/", f"/developments/{dev.id}/", "/topics/epca/", "/?q=%3Cscript%3E"]:
        html = client.get(url).content.decode()
        assert "<script>alert" not in html, url
    page = client.get(f"/developments/{dev.id}/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# --- the picture --------------------------------------------------------------------------


def test_it_draws_each_development_on_a_time_axis_coloured_by_topic(client, world):
    dev = record(title="Réunion", date="2016-03-01", topics=["epca"])
    record(title="Visas", date="2025-06", topics=["visa-facilitation"])
    html = client.get("/").content.decode()
    svg = re.search(r"<svg.*?</svg>", html, re.S).group(0)
    assert f'href="/developments/{dev.id}/"' in svg
    assert "1 mars 2016 — Réunion" in unescape(svg) or "1er mars 2016 — Réunion" in unescape(svg)
    colours = set(re.findall(r'<circle[^>]*fill="(#[0-9a-f]{6})"', svg))
    colours |= set(re.findall(r'<rect[^>]*fill="(#[0-9a-f]{6})"', svg))
    assert len(colours) == 2
    assert ">2016<" in svg and ">2025<" in svg
    # SVG coordinates are never written with a French decimal comma.
    assert not re.search(r'(?:cx|x|width)="\d+,\d', svg)


def test_it_groups_the_picture_by_month_when_there_are_many(client, world):
    from timeline import selectors, visual

    for day in range(1, 11):
        record(title=f"J{day}", date=f"2024-03-{day:02d}", topics=["epca"])
    record(title="Autre", date="2015-06", topics=["visa-facilitation"])
    shape = selectors.timeline_shape(max_marks=5)
    picture = visual.picture(shape, lang="fr", params={})
    assert picture.aggregated
    assert len(picture.shapes) == 2  # one dot per topic and month
    march = next(s for s in picture.shapes if "2024" in s.href)
    assert "topic=epca" in march.href and "from=2024-03" in march.href
    assert "10" in march.title


def test_the_picture_counts_years_when_it_spans_more_than_fifteen(client, world):
    from timeline import selectors, visual

    for year in (2001, 2001, 2024):
        record(title=f"A{year}", date=f"{year}-05", topics=["epca"])
    picture = visual.picture(selectors.timeline_shape(max_marks=2), lang="en", params={})
    assert [(s.href.split("?")[1], s.title) for s in picture.shapes] == [
        ("topic=epca&from=2001&to=2001", "2001 — EPCA: 2 developments"),
        ("topic=epca&from=2024&to=2024", "2024 — EPCA: 1 development"),
    ]
    assert "one year" in picture.note


def test_pages_need_no_inline_style_so_the_csp_holds(client, world):
    from pathlib import Path

    from timeline import visual

    dev = record()
    for url in ["/", "/topics/epca/", f"/developments/{dev.id}/", "/nowhere/"]:
        html = client.get(url).content.decode()
        assert " style=" not in html, url
        assert "<style" not in html, url
    css = (Path(visual.__file__).parent / "static/timeline/kztrack.css").read_text()
    for index, colour in enumerate(visual.PALETTE):
        assert f".topic-c{index} {{ --topic: {colour}; }}" in css


# --- topics -------------------------------------------------------------------------------


def test_the_epca_thread_shows_its_stages_reached_and_ahead(client, world):
    record(
        title="Premier round",
        kind="agreement_stage",
        stage="negotiation_round",
        date="2012-06",
        topics=["epca"],
    )
    record(
        title="Deuxième round",
        kind="agreement_stage",
        stage="negotiation_round",
        date="2013-02",
        topics=["epca"],
    )
    record(
        title="Signature à Astana",
        kind="agreement_stage",
        stage="signature",
        date="2015-12-21",
        topics=["epca"],
    )
    record(
        title="Ratification prévue",
        kind="agreement_stage",
        stage="ratification",
        status="scheduled",
        date="2099-03",
        topics=["epca"],
    )
    record(title="Visas", topics=["visa-facilitation"])
    response = english(client).get("/topics/epca/")
    assert response.status_code == 200
    html = response.content.decode()
    reached = re.search(r'class="stages-reached">.*?</div>', html, re.S).group(0)
    ahead = re.search(r'class="stages-ahead">.*?</div>', html, re.S).group(0)
    assert "negotiation round" in reached and "June 2012" in reached and "2 times" in reached
    assert "signature" in reached and "21 December 2015" in reached
    assert "ratification" in ahead and "planned for March 2099" in ahead
    assert "entry into force" not in ahead and "entry into force" not in reached
    not_recorded = re.search(r'class="stages-not-recorded">.*?</div>', html, re.S).group(0)
    assert "entry into force" in not_recorded and "initialling" not in not_recorded
    assert "ratification" not in reached
    text = text_of(response)
    assert "Signature à Astana" in text and "Visas" not in text
    assert 'href="/feeds/topics/epca.rss"' in html and 'href="/feeds/topics/epca.atom"' in html


def test_an_unknown_topic_is_a_404_page(client, world):
    response = client.get("/topics/no-such-topic/")
    assert response.status_code == 404
    assert "<html" in response.content.decode()


# --- one development ----------------------------------------------------------------------


def test_it_shows_a_development_with_its_actors_sources_and_quotes(client, world):
    dev = record(
        title="Rencontre à Bruxelles",
        date="2023-05-16/2023-05-20",
        actors=[{"actor": "roman-vassilenko", "role": "vice-ministre"}],
        sources=[
            {
                "publication": "Le Soir",
                "title": "Un pont vers l'Asie",
                "author": "Jean Dupont",
                "date": "2023-05-21",
                "url": "https://example.org/soir",
                "quote": "Une citation exacte.",
            }
        ],
    )
    response = client.get(f"/developments/{dev.id}/")
    assert response.status_code == 200
    text = text_of(response)
    assert "16–20 mai 2023" in text
    assert "Roman Vassilenko — vice-ministre" in text
    assert "Le Soir" in text and "Un pont vers l'Asie" in text and "Jean Dupont" in text
    assert "Une citation exacte." in text
    assert 'href="https://example.org/soir"' in response.content.decode()


def test_it_shows_corrections_with_their_notes_and_reschedulings(client, world):
    dev = record(title="Visite", status="scheduled", date="2099-04")
    commands.development_correct(
        id=dev.id,
        expected_version=1,
        changes={"place": "Astana"},
        note="La visite a lieu à Astana, pas à Almaty.",
        by="alice",
        via="admin",
    )
    commands.development_reschedule(
        id=dev.id, expected_version=2, date="2099-06", note="Reportée.", by="alice", via="admin"
    )
    commands.development_correct(
        id=dev.id,
        expected_version=3,
        changes={"title": "Visite."},
        silent=True,
        by="alice",
        via="admin",
    )
    text = text_of(english(client).get(f"/developments/{dev.id}/"))
    # Readers see a role, never the editor's login (half of their credentials).
    assert "Corrected by the editors" in text and "alice" not in text
    assert "La visite a lieu à Astana, pas à Almaty." in text
    assert re.search(r"place ?: Bruxelles → Astana", text)
    assert "Rescheduled by the editors" in text
    assert re.search(r"date ?: April 2099 → June 2099", text)
    assert "Reportée." in text
    assert not re.search(r"title ?:", text)  # the silent fix is not in the public history


def test_a_retracted_development_keeps_its_page_and_says_why(client, world):
    dev = record(title="Annonce erronée")
    commands.development_retract(
        id=dev.id,
        expected_version=1,
        reason="Cette rencontre n'a jamais eu lieu.",
        by="alice",
        via="admin",
    )
    response = english(client).get(f"/developments/{dev.id}/")
    assert response.status_code == 200
    text = text_of(response)
    assert "Retracted." in text
    assert "Cette rencontre n'a jamais eu lieu." in text
    assert "Annonce erronée" in text


def test_it_describes_the_event_and_its_corrections_in_json_ld(client, world):
    dev = record(
        title="Titre </script><script>alert(1)</script>",
        date="2023-05-16/2023-05-20",
        place="Luxembourg",
    )
    commands.development_correct(
        id=dev.id,
        expected_version=1,
        changes={"place": "Bruxelles"},
        note="Mauvais lieu.",
        by="alice",
        via="admin",
    )
    html = client.get(f"/developments/{dev.id}/").content.decode()
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert len(blocks) == 1
    data = json.loads(blocks[0])
    assert data["about"]["@type"] == "Event"
    assert data["about"]["name"] == "Titre </script><script>alert(1)</script>"
    assert (data["about"]["startDate"], data["about"]["endDate"]) == ("2023-05-16", "2023-05-20")
    assert data["about"]["location"]["name"] == "Bruxelles"
    assert data["correction"][0]["@type"] == "CorrectionComment"
    assert data["correction"][0]["text"] == "Mauvais lieu."


def test_json_ld_keeps_a_month_a_month(client, world):
    dev = record(date="2022-10")
    html = client.get(f"/developments/{dev.id}/").content.decode()
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    assert json.loads(block)["about"]["startDate"] == "2022-10"


def test_a_missing_or_malformed_id_is_a_404_page(client, world):
    for url in [
        f"/developments/{uuid.uuid4()}/",
        "/developments/not-a-uuid/",
        "/developments/%00/",
    ]:
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Back to the timeline" in text_of(english(client).get(url))


# --- the frame ------------------------------------------------------------------------------


def test_every_page_links_the_feeds_topics_digests_and_subscription(client, world):
    html = client.get("/").content.decode()
    assert 'rel="alternate" type="application/rss+xml"' in html
    assert 'href="/feeds/timeline.rss"' in html and 'href="/feeds/timeline.atom"' in html
    assert 'href="/topics/epca/"' in html
    assert re.search(r'href="/digests/"', html) and re.search(r'href="/subscribe/"', html)


def test_a_reader_can_switch_to_english(client, world):
    record(date="2023-05")
    assert "mai 2023" in text_of(client.get("/"))
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    text = text_of(client.get("/"))
    assert "May 2023" in text
    assert Topic.objects.get(slug="epca").name_en in text


# --- the seeded timeline --------------------------------------------------------------------


def test_the_seeded_agreement_threads_show_their_stages_and_pages_their_quotes(client):
    from timeline import seed
    from timeline.dates import display
    from timeline.models import Development, Stage

    seed.load()
    english(client)
    labels = dict(Stage.choices)
    for slug in ["epca", "visa-facilitation"]:
        topic = Topic.objects.get(slug=slug)
        first_reached = {}
        for development in (
            Development.objects.filter(topics=topic, status="took_place")
            .exclude(stage="")
            .order_by("date_lower", "id")
        ):
            first_reached.setdefault(development.stage, development)
        assert first_reached, f"the seed reaches no stage of {slug}"
        html = client.get(f"/topics/{slug}/").content.decode()
        reached = unescape(re.search(r'class="stages-reached">.*?</div>', html, re.S).group(0))
        ahead = unescape(re.search(r'class="stages-ahead">.*?</div>', html, re.S).group(0))
        for stage, development in first_reached.items():
            assert str(labels[stage]) in reached
            assert display(development.date, "en") in reached
        # A stage no development of the topic records is neither reached nor ahead.
        not_recorded = unescape(
            re.search(r'class="stages-not-recorded">.*?</div>', html, re.S).group(0)
        )
        for stage in topic.stages.values_list("stage", flat=True):
            if stage not in first_reached:
                assert str(labels[stage]) in not_recorded
                assert str(labels[stage]) not in reached and str(labels[stage]) not in ahead

    quoted = Development.objects.exclude(sources=[]).first()
    text = text_of(client.get(f"/developments/{quoted.id}/"))
    quote = re.sub(r"\s+", " ", quoted.sources[0]["quote"]).strip()
    assert quote[:60] in text


def test_stages_no_development_records_are_neither_passed_nor_ahead(client, world):
    """A signature says nothing of the negotiation rounds, nor of a ratification to come."""
    record(
        title="Signature",
        date="2015-12-21",
        topics=["epca"],
        stage="signature",
        kind="agreement_stage",
    )
    page = english(client).get("/topics/epca/").content.decode()
    reached, rest = page.split("Stages planned")
    ahead, not_recorded = rest.split("Not recorded", 1)
    assert "signature" in reached and "negotiation round" not in reached
    assert "ratification" not in ahead and "negotiation round" not in ahead
    assert "negotiation round" in not_recorded and "ratification" in not_recorded
    assert "neither that they were reached nor that they are ahead" in not_recorded
    api = client.get("/api/v1/topics/epca").json()
    assert [s["stage"] for s in api["stages_reached"]] == ["signature"]
    assert api["stages_ahead"] == []
    assert [s["stage"] for s in api["stages_not_recorded"]] == [
        "negotiation_round",
        "ratification",
        "entry_into_force",
    ]
    assert {s["status"] for s in api["stages_not_recorded"]} == {"not_recorded"}
    assert all(s["reached"] is False for s in api["stages_not_recorded"])


def test_a_topic_that_is_no_agreement_shows_no_stages(client, world):
    """Only agreement topics have stages; a staged development filed elsewhere marks none."""
    record(
        title="Convention", topics=["visa-facilitation"], stage="signature", kind="agreement_stage"
    )
    world["visa"].stages.all().delete()
    api = client.get("/api/v1/topics/visa-facilitation").json()
    assert api["stages_reached"] == api["stages_ahead"] == api["stages_not_recorded"] == []
    assert "stages-reached" not in client.get("/topics/visa-facilitation/").content.decode()
