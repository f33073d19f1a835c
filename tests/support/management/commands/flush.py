"""`flush`, which also empties the append-only event log.

Django's test runner flushes the database between transactional tests; the log's
triggers refuse that. Emptying the whole database is a deliberate, owner-level act, so
this command lifts the triggers for the duration of its own transaction only.
"""

from django.core.management.commands.flush import Command as FlushCommand
from django.db import connections, transaction

from timeline import db


class Command(FlushCommand):
    def handle(self, **options):
        connection = connections[options["database"]]
        with transaction.atomic(using=connection.alias):
            db.uninstall(connection)
            try:
                return super().handle(**options)
            finally:
                db.install(connection)
