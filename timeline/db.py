"""SQL that makes the event log append-only in the database itself, not only in the ORM,
and the lock that serializes writers to it."""

from django.db import connection

TABLE = "timeline_event"

POSTGRES_INSTALL = f"""
CREATE OR REPLACE FUNCTION kztrack_refuse_log_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the event log is append-only: % on {TABLE} is refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER event_log_no_update_delete BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION kztrack_refuse_log_change();
CREATE TRIGGER event_log_no_truncate BEFORE TRUNCATE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION kztrack_refuse_log_change();
"""

POSTGRES_UNINSTALL = f"""
DROP TRIGGER IF EXISTS event_log_no_truncate ON {TABLE};
DROP TRIGGER IF EXISTS event_log_no_update_delete ON {TABLE};
DROP FUNCTION IF EXISTS kztrack_refuse_log_change();
"""

# SQLite has no TRUNCATE: its `DELETE FROM t` (even the truncate optimisation) fires the
# delete trigger, which disables that optimisation.
SQLITE_INSTALL = [
    f"""CREATE TRIGGER event_log_no_update BEFORE UPDATE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, 'the event log is append-only: UPDATE on {TABLE} is refused');
        END""",
    f"""CREATE TRIGGER event_log_no_delete BEFORE DELETE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, 'the event log is append-only: DELETE on {TABLE} is refused');
        END""",
]

SQLITE_UNINSTALL = [
    "DROP TRIGGER IF EXISTS event_log_no_update",
    "DROP TRIGGER IF EXISTS event_log_no_delete",
]


def _run(conn, statements: list[str]) -> None:
    # No parameters: the PL/pgSQL `%` placeholders must reach the server untouched.
    with conn.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def install(conn) -> None:
    """Create the triggers for the connection's database."""
    if conn.vendor == "postgresql":
        _run(conn, [POSTGRES_INSTALL])
    elif conn.vendor == "sqlite":
        _run(conn, SQLITE_INSTALL)
    else:
        raise NotImplementedError("the event log needs PostgreSQL or SQLite")


def uninstall(conn) -> None:
    """Drop the triggers."""
    if conn.vendor == "postgresql":
        _run(conn, [POSTGRES_UNINSTALL])
    elif conn.vendor == "sqlite":
        _run(conn, SQLITE_UNINSTALL)


# Any 64-bit number that no other code in this database uses for an advisory lock.
APPEND_LOCK_KEY = 0x6B7A_7472_6163_6B  # "kztrack"


def lock_log() -> None:
    """Serialize writers to the log (and the projections) until the end of the transaction.

    Positions are assigned under this lock, so they become visible in commit order and a
    reader polling `position > N` never misses one committed later with a smaller number.
    SQLite needs nothing: its IMMEDIATE transactions already admit one writer at a time.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [APPEND_LOCK_KEY])
