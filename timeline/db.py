"""SQL that makes the event log append-only in the database itself, not only in the ORM."""

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


def _run(connection, statements: list[str]) -> None:
    # No parameters: the PL/pgSQL `%` placeholders must reach the server untouched.
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def install(connection) -> None:
    """Create the triggers for the connection's database."""
    if connection.vendor == "postgresql":
        _run(connection, [POSTGRES_INSTALL])
    elif connection.vendor == "sqlite":
        _run(connection, SQLITE_INSTALL)
    else:
        raise NotImplementedError("the event log needs PostgreSQL or SQLite")


def uninstall(connection) -> None:
    """Drop the triggers."""
    if connection.vendor == "postgresql":
        _run(connection, [POSTGRES_UNINSTALL])
    elif connection.vendor == "sqlite":
        _run(connection, SQLITE_UNINSTALL)
