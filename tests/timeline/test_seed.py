"""The seeded timeline: every development traceable to a quoted passage, loaded idempotently."""

import re

import pytest
from django.core.management import call_command

from timeline import dates, seed
from timeline.models import Development, Event

SOURCE_FILES = sorted(p.name for p in seed.SOURCES_DIR.glob("*.txt"))


def normalise(text: str) -> str:
    """The texts are markdown-ish: ignore emphasis marks, heading hashes and line breaks."""
    return re.sub(r"\s+", " ", re.sub(r"[*#]", "", text)).strip()


def test_there_are_five_source_texts():
    assert len(SOURCE_FILES) == 5


def test_every_quoted_passage_is_found_in_its_source_text():
    texts = {name: normalise((seed.SOURCES_DIR / name).read_text("utf-8")) for name in SOURCE_FILES}
    for item in seed.read("developments.yaml"):
        assert item["sources"], f"{item['key']} has no source"
        for source in item["sources"]:
            assert source["file"] in texts, f"{item['key']}: unknown file {source['file']}"
            quote = normalise(source["quote"])
            assert len(quote) >= 20, f"{item['key']}: the quote is too short to support it"
            assert quote in texts[source["file"]], f"{item['key']}: quote not in the text"


def test_every_source_text_contributes_developments():
    cited = {s["file"] for item in seed.read("developments.yaml") for s in item["sources"]}
    assert cited == set(SOURCE_FILES)


def test_relative_and_missing_dates_are_marked_and_explained():
    for item in seed.read("developments.yaml"):
        parsed = dates.parse(str(item["date"]))
        if parsed.approximate or parsed.meaning == dates.WINDOW:
            assert item.get("date_note"), f"{item['key']}: an approximate date needs its note"


def test_the_missions_meetings_are_one_day_of_its_window_not_the_month():
    """« Du mardi 16 au samedi 20 mai 2023 »: a meeting of the mission is one day of it."""
    mission = [i for i in seed.read("developments.yaml") if i["key"].startswith("2023-05-")]
    windowed = [i for i in mission if i["date"] == "[2023-05-16..2023-05-20]"]
    assert len(windowed) == 17
    assert not [i["key"] for i in mission if i["date"] == "2023-05"]


def test_relative_expressions_are_resolved_against_the_articles_date():
    dated = {i["key"]: i["date"] for i in seed.read("developments.yaml")}
    assert dated["2024-record-eu-kazakhstan-trade"] == "2024"  # « l'année dernière », 2025
    assert dated["2025-12-bruges-match-almaty"] == "[2025-11-24..]"  # « bientôt »: no month
    assert dated["2025-12-22nd-eu-kazakhstan-cooperation-council"] == "[2025-12-01..2025-12-07]"
    assert dated["2025-05-29-astana-international-forum"] == "2025-05-29/2025-05-30"


@pytest.mark.django_db
def test_loadseed_twice_gives_the_same_log(capsys):
    call_command("loadseed", verbosity=0)
    first = list(Event.objects.values_list("position", "stream_id", "version", "type", "data"))
    call_command("loadseed", verbosity=0)
    second = list(Event.objects.values_list("position", "stream_id", "version", "type", "data"))
    assert first == second
    entries = seed.read("developments.yaml")
    assert len(first) == len(entries) >= 30
    assert Development.objects.count() == len(entries)
    assert all(d.sources for d in Development.objects.all())
