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
        if parsed.approximate:
            assert item.get("date_note"), f"{item['key']}: an approximate date needs its note"


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
