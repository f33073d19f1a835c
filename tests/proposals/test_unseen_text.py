"""The proposer on a French text it has never seen (written for this test, not from the seed)."""

import datetime
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from timeline.proposals.proposer import KnownActor, propose

PRESS_RELEASE_FILE = Path(__file__).with_name("communique_2026-03-12.txt")
PRESS_RELEASE = PRESS_RELEASE_FILE.read_text(encoding="utf-8")

ACTORS = [
    KnownActor(slug="ashimbayev-maulen", name="Maulen Ashimbayev", kind="person"),
    KnownActor(slug="luxembourg", name="Luxembourg", kind="institution"),
]


@pytest.fixture(scope="module")
def proposals():
    found = propose(PRESS_RELEASE, published=datetime.date(2026, 3, 12), actors=ACTORS)
    return {p.quote.split(",")[0].split(" ")[0] + p.quote[:40]: p for p in found}


def _about(proposals, beginning):
    matches = [p for p in proposals.values() if p.quote.startswith(beginning)]
    assert len(matches) == 1, (beginning, [p.quote for p in proposals.values()])
    return matches[0]


def test_it_dates_a_weekday_without_a_year_in_the_publication_year(proposals):
    p = _about(proposals, "Le mardi 3 mars")
    assert p.date == "2026-03-03"
    assert p.meaning == "point"
    assert "mardi 3 mars" in p.date_note and "12 mars 2026" in p.date_note
    assert p.status == "took_place"
    assert p.kind == "meeting"


def test_it_reads_last_week_as_one_moment_in_that_week(proposals):
    p = _about(proposals, "La semaine dernière")
    assert p.date == "[2026-03-02..2026-03-08]"
    assert p.meaning == "window"
    assert p.date_note == (
        "« La semaine dernière » dans un article du 12 mars 2026 : "
        "semaine du 2 mars 2026 au 8 mars 2026."
    )
    assert p.kind == "agreement_stage"
    assert "energy" in p.topics


def test_it_reads_a_season_and_marks_it_scheduled(proposals):
    p = _about(proposals, "Un forum d'affaires")
    assert p.date == "2027-21"
    assert p.status == "scheduled"
    assert p.kind == "forum_summit"
    assert "Astana" in p.place


def test_it_resolves_next_tuesday(proposals):
    p = _about(proposals, "Mardi prochain")
    assert p.date == "2026-03-17"
    assert p.status == "scheduled"
    assert "« Mardi prochain » dans un article du 12 mars 2026" in p.date_note
    assert p.kind == "appointment"


def test_it_keeps_a_range_as_a_span(proposals):
    p = _about(proposals, "Du 16 au 20 novembre 2026")
    assert p.date == "2026-11-16/2026-11-20"
    assert p.meaning == "span"
    assert p.status == "scheduled"
    assert p.date_note == ""


def test_it_counts_years_back_approximately(proposals):
    p = _about(proposals, "Il y a dix ans")
    assert p.date == "2016~"
    assert "2026 − 10 = 2016" in p.date_note


def test_it_reads_last_year(proposals):
    p = _about(proposals, "L'année dernière")
    assert p.date == "2025"
    assert p.date_note == "« L'année dernière » dans un article du 12 mars 2026."


def test_it_matches_a_transliterated_actor_and_flags_new_people(proposals):
    p = _about(proposals, "Le mardi 3 mars")
    assert {
        "actor": "ashimbayev-maulen",
        "name": "Maulen Ashimbayev",
        "role": "",
        "new": False,
    } in p.actors
    consulate = _about(proposals, "Il y a dix ans")
    assert {"actor": None, "name": "Jean Muller", "role": "", "new": True} in consulate.actors


def test_quotes_are_exact_offsets_into_the_text(proposals):
    for p in proposals.values():
        assert PRESS_RELEASE[p.start : p.end] == p.quote


@pytest.mark.django_db
def test_the_command_prints_the_same_proposals_as_json(capsys):
    call_command(
        "propose_developments", str(PRESS_RELEASE_FILE), "--published", "2026-03-12", "--json"
    )
    printed = json.loads(capsys.readouterr().out)
    by_date = {p["date"]: p for p in printed}
    assert {"2026-03-03", "[2026-03-02..2026-03-08]", "2027-21", "2026-03-17"} <= set(by_date)
    spring = by_date["2027-21"]
    assert spring["status"] == "scheduled"
    assert PRESS_RELEASE[spring["start"] : spring["end"]] == spring["quote"]
    assert set(printed[0]) >= {
        "title",
        "summary",
        "date",
        "date_note",
        "kind",
        "status",
        "place",
        "topics",
        "actors",
        "quote",
        "start",
        "end",
        "duplicates",
    }


@pytest.mark.django_db
def test_the_command_names_a_bad_publication_date():
    with pytest.raises(CommandError, match="--published"):
        call_command("propose_developments", str(PRESS_RELEASE_FILE), "--published", "12/03/2026")


@pytest.mark.parametrize(
    ("sentence", "date"),
    [
        ("Le 20 mars dernier, les ministres se sont rencontrés à Astana.", "2025-03-20"),
        ("Le 3 avril prochain, les ministres se rencontreront à Astana.", "2026-04-03"),
        ("En novembre dernier, le Conseil a adopté le mandat.", "2025-11"),
        ("Le 16/05/2023, une délégation a visité Astana.", "2023-05-16"),
        (
            "Entre le 2 et le 6 février 2026, une rencontre a eu lieu à Bruxelles.",
            "[2026-02-02..2026-02-06]",
        ),
        ("De mars à mai 2024, une mission a visité la région.", "2024-03/2024-05"),
        ("La semaine prochaine, le ministre se rendra à Bruxelles.", "[2026-03-16..2026-03-22]"),
    ],
)
def test_it_reads_more_french_dates(sentence, date):
    (proposal,) = propose(sentence, published=datetime.date(2026, 3, 12))
    assert proposal.date == date
