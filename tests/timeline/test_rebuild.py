"""rebuild_projections as it runs in production: outside any transaction, streaming the log
from a second connection, with the read models' secondary indexes dropped after the reset
and built once at the end. It must give exactly the state of the inline projection."""

import pytest
from django.core.management import call_command
from django.db import connection

from tests.base import make_world
from tests.timeline.test_projections import busy_history
from timeline import commands, projections
from timeline.models import Development, Event, SuspendedIndex

pytestmark = pytest.mark.django_db(transaction=True)


def read_model_indexes() -> set[tuple[str, str]]:
    """The read models' indexes and foreign keys, with their definitions."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN "
            "('timeline_development', 'timeline_developmenttopic', 'timeline_developmentactor')"
        )
        indexes = set(cursor.fetchall())
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'f' "
            "AND conrelid::regclass::text IN "
            "('timeline_development', 'timeline_developmenttopic', 'timeline_developmentactor')"
        )
        return indexes | set(cursor.fetchall())


def test_a_rebuild_streams_the_log_and_reproduces_the_inline_state(capsys):
    assert connection.vendor == "postgresql"
    make_world()
    busy_history()
    inline = projections.read_model_checksum()
    indexes = read_model_indexes()
    names = {name for name, _ in indexes}
    assert {"development_search_kz", "development_search_trgm"} <= names
    assert sum("_fk_" in name for name in names) == 4  # links → developments, topics, actors

    call_command("rebuild_projections", "--batch-size", "2", "--checksum", verbosity=1)

    out = capsys.readouterr().out
    put_back = len(indexes) - 5  # all but the primary keys and the two unique pairs
    assert f"7 events applied; checkpoint at 7; {put_back} indexes and foreign keys put back" in out
    assert f"checksum {inline}" in out
    assert projections.read_model_checksum() == inline
    assert read_model_indexes() == indexes
    assert not SuspendedIndex.objects.exists()
    assert search_statistics_target() == 300  # migration 0013's, kept through the rebuild


def search_statistics_target() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attstattarget FROM pg_attribute "
            "WHERE attrelid = 'development_search_kz'::regclass AND attnum = 1"
        )
        return cursor.fetchone()[0]


def test_a_rebuild_stopped_before_its_indexes_are_built_builds_them_on_resume():
    make_world()
    busy_history()
    inline = projections.read_model_checksum()
    indexes = read_model_indexes()

    # What a rebuild killed part-way leaves: the read models half replayed, their
    # secondary indexes dropped and remembered in the database.
    projections.reset(suspend_indexes=True)
    with pytest.raises(KeyboardInterrupt):

        def stop(n: int) -> None:
            raise KeyboardInterrupt

        projections.replay(batch_size=3, progress=stop)
    assert projections.checkpoint() == 3
    assert read_model_indexes() < indexes
    assert SuspendedIndex.objects.count() == len(indexes - read_model_indexes())

    # Editors go on working meanwhile: the append catches the projection up inline.
    dev = commands.development_record(
        fields={
            "title": "Pendant la reprise",
            "kind": "meeting",
            "date": "2026-05",
            "topics": ["epca"],
        },
        by="alice",
        via="admin",
    )
    assert Development.objects.get(pk=dev.id).title == "Pendant la reprise"
    assert projections.checkpoint() == Event.objects.count() == 8

    call_command("rebuild_projections", "--resume", verbosity=0)
    assert read_model_indexes() == indexes
    assert not SuspendedIndex.objects.exists()
    rebuilt = projections.read_model_checksum()
    call_command("rebuild_projections", verbosity=0)
    assert projections.read_model_checksum() == rebuilt != inline
