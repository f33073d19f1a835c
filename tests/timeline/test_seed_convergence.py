"""A database seeded by the previous version of the seed (the copy in fixtures/) converges
to the current seed through the commands: corrections with their public notes, nothing in
the log rewritten, and a further load appends nothing."""

from pathlib import Path

import pytest
import yaml

from timeline import events, projections, seed
from timeline.commands import clean_fields
from timeline.models import Development, Event

OLD_SEED = Path(__file__).parent / "fixtures" / "seed_developments_b060200.yaml"


def log() -> list[tuple]:
    return list(
        Event.objects.order_by("position").values_list(
            "position", "stream_id", "version", "type", "schema_version", "data", "metadata"
        )
    )


def seed_states() -> dict[str, dict]:
    """Each seed development's fields as the read model holds them."""
    items = seed.read("developments.yaml")
    states = projections.load_states([seed.stream_id_for(i["key"]) for i in items])
    fields = [*clean_fields(seed.development_fields(items[0]), partial=False), "status"]
    return {i["key"]: {f: states[seed.stream_id_for(i["key"])][f] for f in fields} for i in items}


def expected_states() -> dict[str, dict]:
    """What recording the current seed entry by entry gives."""
    expected = {}
    for item in seed.read("developments.yaml"):
        fields = seed.development_fields(item)
        expected[item["key"]] = {**clean_fields(fields, partial=False), "status": fields["status"]}
    return expected


@pytest.mark.django_db
def test_a_fresh_load_holds_exactly_the_seed():
    seed.load()
    assert seed_states() == expected_states()


@pytest.mark.django_db
def test_the_previous_seed_converges_through_the_commands():
    old = seed.load(developments=OLD_SEED)
    assert old.recorded == len(seed.read_developments(OLD_SEED)) and old.corrected == 0
    before = log()

    result = seed.load()
    after = log()
    # Nothing written before was rewritten: the old log is a prefix of the new one.
    assert after[: len(before)] == before
    added = after[len(before) :]
    assert {row[3] for row in added} <= {events.RECORDED, events.CORRECTED, events.CONFIRMED}
    assert result.corrected >= 17 + 4  # the mission's meetings, the new topic, the dates
    assert result.recorded == len(seed.read("developments.yaml")) - old.recorded

    # The read models say what a fresh load of the current seed says.
    assert seed_states() == expected_states()
    # Every correction is public and carries the entry's note.
    notes = {i["key"]: i.get("correction") for i in seed.read("developments.yaml")}
    by_stream = {seed.stream_id_for(k): k for k in notes}
    for row in added:
        if row[3] == events.CORRECTED:
            assert row[5]["silent"] is False
            assert row[5]["note"] == notes[by_stream[row[1]]]
    mission_meeting = Development.objects.get(pk=seed.stream_id_for("2023-05-aifc-briefing"))
    assert mission_meeting.date == "[2023-05-16..2023-05-20]"
    assert mission_meeting.corrections == 1

    # A further load is a no-op, and so is the one after.
    seed.load()
    seed.load()
    assert log() == after


@pytest.mark.django_db
def test_an_entry_that_differs_without_a_note_is_refused(tmp_path):
    seed.load()
    items = seed.read("developments.yaml")
    items[0] = {**items[0], "title": items[0]["title"] + " (modifié)"}
    items[0].pop("correction", None)
    items[0].pop("silent_fix", None)
    changed = tmp_path / "developments.yaml"
    changed.write_text(yaml.safe_dump(items, allow_unicode=True), encoding="utf-8")
    before = log()
    with pytest.raises(seed.SeedError, match=items[0]["key"]):
        seed.load(developments=changed)
    assert log() == before
    items[0]["silent_fix"] = True
    changed.write_text(yaml.safe_dump(items, allow_unicode=True), encoding="utf-8")
    assert seed.load(developments=changed).corrected == 1
    assert log()[-1][5]["silent"] is True
