"""Consumers polling "events after N" never miss one: positions become visible in order."""

import threading

import pytest
from django.db import close_old_connections, connection, connections

from tests.base import development_fields, make_world
from timeline import commands
from timeline.models import Event

WRITERS = 4
APPENDS_PER_WRITER = 75


@pytest.mark.django_db(transaction=True)
def test_a_polling_reader_never_skips_an_event_under_concurrent_writers():
    assert connection.vendor == "postgresql", "the race is run on PostgreSQL"
    make_world()
    done = threading.Event()
    errors: list[BaseException] = []
    seen: list[int] = []
    gaps: list[tuple[int, int]] = []

    def writer(n: int) -> None:
        try:
            for i in range(APPENDS_PER_WRITER):
                commands.development_record(
                    fields=development_fields(title=f"w{n}-{i}"), by=f"writer{n}", via="api"
                )
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    def reader() -> None:
        last = 0
        try:
            while True:
                finished = done.is_set()
                batch = list(
                    Event.objects.filter(position__gt=last)
                    .order_by("position")
                    .values_list("position", flat=True)[:50]
                )
                for position in batch:
                    if position != last + 1:
                        gaps.append((last, position))
                    seen.append(position)
                    last = position
                if finished and not batch:
                    return
                close_old_connections()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    consumer = threading.Thread(target=reader)
    consumer.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    consumer.join()

    total = WRITERS * APPENDS_PER_WRITER
    assert errors == []
    assert gaps == []
    assert seen == list(range(1, total + 1))
    assert Event.objects.count() == total
