"""Search as readers type, on the seeded timeline: accents dropped, English acronyms,
transliterations, one typo, plurals. The same table runs on PostgreSQL (make test) and on
SQLite (make run's database): the last test runs this file again under SQLite."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from tests.base import make_editor, record
from timeline import projections, seed, selectors
from timeline.models import Actor

ROOT = Path(__file__).resolve().parents[2]

EPCA = {
    "2015-epca-signature",
    "epca-ratification-by-kazakhstan",
    "2025-11-24-vassilenko-press-club-epca-10-years",
    "2025-12-22nd-eu-kazakhstan-cooperation-council",
    "2025-04-16-vassilenko-eu-reporter-interview",
}
REFERENDUMS = {
    "2026-03-15-constitutional-referendum",
    "2026-embassy-brussels-referendum-notice",
    "undated-nuclear-power-plant-referendum",
}
NUCLEAR = {"2026-second-nuclear-energy-summit-paris", "undated-nuclear-power-plant-referendum"}
TOKAYEV = {
    "2022-10-charles-michel-astana",
    "2022-autumn-tokayev-intraregional-cooperation-initiative",
    "2025-tokayev-samarkand-initiatives",
    "2025-kallas-tokayev-visa-facilitation-announcement",
}
VISAS = {
    "2025-03-27-visa-facilitation-negotiating-mandate",
    "2025-kallas-tokayev-visa-facilitation-announcement",
    "2025-04-16-vassilenko-eu-reporter-interview",
}
VASSILENKO = {
    "2023-05-vassilenko-delegation-meeting",
    "2026-vassilenko-credentials-grand-duke-luxembourg",
    "2025-11-24-vassilenko-press-club-epca-10-years",
}
ASTANA = {
    "2022-10-charles-michel-astana",
    "2023-05-second-eu-central-asia-economic-forum",
    "2025-04-16-central-asia-media-forum",
}

# (what a reader types, developments it must find, developments it must not find)
QUERIES = [
    ("referendum", REFERENDUMS, {"2025-03-27-visa-facilitation-negotiating-mandate"}),
    ("Référendum", REFERENDUMS, set()),
    ("REFERENDUM", REFERENDUMS, set()),
    ("referendums", REFERENDUMS, set()),  # a plural
    ("referundum", REFERENDUMS, set()),  # one typo
    ("nucleaire", NUCLEAR, {"2015-epca-signature"}),
    ("énergie nucléaire", {"2026-second-nuclear-energy-summit-paris"}, set()),
    ("Tokayev", TOKAYEV, {"2015-epca-signature"}),
    ("Tokaev", TOKAYEV, set()),
    ("tokaiev", TOKAYEV, set()),
    ("Tokaïev", TOKAYEV, set()),
    ("EPCA", EPCA, {"2025-03-27-visa-facilitation-negotiating-mandate"}),
    ("APCE", EPCA, set()),
    ("APCR", EPCA, set()),
    ("accord de partenariat renforcé", EPCA, set()),
    ("visas", VISAS, {"2015-epca-signature"}),
    ("visa", VISAS, set()),
    ("Visa facilitation", {"2025-03-27-visa-facilitation-negotiating-mandate"}, set()),
    ("negociations", {"2025-03-27-visa-facilitation-negotiating-mandate"}, set()),
    ("Vasilenko", VASSILENKO, {"2022-10-charles-michel-astana"}),
    ("Vassilenkko", VASSILENKO, set()),  # one typo
    ("Nur-Sultan", ASTANA, set()),
    ("Nour-Soultan", ASTANA, set()),
    ("ports", {"2023-05-aktau-port-visit", "2023-05-kuryk-port-visit"}, set()),
    ("Aktau", {"2023-05-aktau-port-visit"}, set()),
    ("Samarkand", {"2025-first-eu-central-asia-summit-samarkand"}, set()),
    ("hydrogene vert", {"2023-05-svevind-hyrasia-one-briefing"}, set()),
    (
        "Kallas visas",
        {"2025-kallas-tokayev-visa-facilitation-announcement"},
        {"2015-epca-signature"},
    ),
]


def found_keys(q: str) -> tuple[list[str], selectors.SearchResults]:
    keys = {seed.stream_id_for(item["key"]): item["key"] for item in seed.read("developments.yaml")}
    results = selectors.search_results(filters=selectors.timeline_filters(q=q), limit=200)
    return [keys.get(h.development.id, str(h.development.id)) for h in results.hits], results


@pytest.mark.django_db
def test_readers_queries_find_what_they_expect_on_the_seeded_timeline():
    call_command("loadseed", verbosity=0)
    failures = []
    for q, expected, unexpected in QUERIES:
        found, _ = found_keys(q)
        if missing := expected - set(found):
            failures.append(f"{q!r} misses {sorted(missing)}")
        if wrong := unexpected & set(found):
            failures.append(f"{q!r} finds {sorted(wrong)}")
    assert not failures, f"on {connection.vendor}:\n" + "\n".join(failures)


@pytest.mark.django_db
def test_results_are_ranked_and_the_matching_words_marked():
    call_command("loadseed", verbosity=0)
    found, results = found_keys("EPCA")
    # The signature names the agreement in its title and its text: it comes first.
    assert found[0] == "2015-epca-signature"
    assert [h.rank for h in results.hits] == sorted((h.rank for h in results.hits), reverse=True)
    marked = [s.text for s in results.hits[0].snippet if s.mark]
    assert "EPCA" in marked and "APCR" in marked
    assert not results.approximate
    _, typo = found_keys("referundum")
    assert typo.approximate
    assert any(s.mark and s.text == "référendum" for h in typo.hits for s in h.snippet)


@pytest.mark.django_db
def test_the_api_and_the_page_search_the_same_way(client):
    call_command("loadseed", verbosity=0)
    body = client.get("/api/v1/timeline", {"q": "Tokayev", "limit": 200}).json()
    ids = {item["id"] for item in body["items"]}
    assert {str(seed.stream_id_for(k)) for k in TOKAYEV} <= ids
    page = client.get("/", {"q": "nucleaire"}).content.decode()
    assert "<mark>nucléaire</mark>" in page
    assert client.get("/", {"q": "!!!"}).status_code == 200


@pytest.mark.django_db
def test_editors_text_in_a_snippet_stays_text(client, world):
    record(title="Essai", summary='<script>alert("x")</script> un référendum <b>gras</b>')
    page = client.get("/", {"q": "referendum"}).content.decode()
    assert "<mark>référendum</mark>" in page
    assert "<script>alert" not in page and "<b>gras" not in page
    assert "&lt;script&gt;alert(" in page


@pytest.mark.django_db
def test_an_alias_added_in_the_admin_finds_past_developments(client, world):
    development = record(
        title="Entretien", summary="Rien sur le nom.", actors=[{"actor": "kaja-kallas", "role": ""}]
    )
    before = selectors.search_results(filters=selectors.timeline_filters(q="Kallasová"))
    assert before.approximate or not before.hits  # at best a guess at "Kallas"
    client.force_login(make_editor())
    actor = Actor.objects.get(slug="kaja-kallas")
    response = client.post(
        f"/admin/timeline/actor/{actor.pk}/change/",
        {"name": actor.name, "kind": actor.kind, "description_fr": "", "aliases": "Kallasova"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    results = selectors.search_results(filters=selectors.timeline_filters(q="kallasova"))
    assert [h.development.id for h in results.hits] == [development.id]
    assert not results.approximate
    # What the admin wrote is what a rebuild writes.
    checksum = projections.read_model_checksum()
    call_command("rebuild_projections", verbosity=0)
    assert projections.read_model_checksum() == checksum


@pytest.mark.django_db
def test_a_rebuild_reproduces_the_search_text_of_the_seed():
    call_command("loadseed", verbosity=0)
    checksum = projections.read_model_checksum()
    call_command("rebuild_projections", verbosity=0)
    assert projections.read_model_checksum() == checksum


# This test runs this very file again on SQLite; in that run the table itself is what runs
# on SQLite, and this test would only start the same run once more.
@pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("sqlite"),
    reason="this run is the SQLite run the test starts: the table above runs on SQLite here",
)
def test_the_same_table_passes_on_sqlite(tmp_path):
    """make run's database: this file again, against a SQLite DATABASE_URL."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'search.sqlite3'}",
        "KZTRACK_VAR_DIR": str(tmp_path),
    }
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            __file__,
            "-q",
            "-p",
            "no:randomly",
            "-p",
            "no:cacheprovider",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "passed" in run.stdout and "failed" not in run.stdout


@pytest.mark.django_db
def test_the_picture_and_the_exports_filter_by_the_same_search(client):
    call_command("loadseed", verbosity=0)
    filters = selectors.timeline_filters(q="Tokayev")
    found = selectors.search_results(filters=filters, limit=200).hits
    shape = selectors.timeline_shape(filters=filters)
    assert shape.total == len(found) >= len(TOKAYEV)
    response = client.get("/api/v1/timeline.timelinejs", {"q": "Tokayev"})
    assert response.status_code == 200
    assert len(response.json()["events"]) == len(found)
