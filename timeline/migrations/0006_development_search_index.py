"""A GIN index for French full-text search, on PostgreSQL only (SQLite searches with LIKE).

The expression is the one `SearchVector("search_text", config="french")` produces, so
the planner matches it (see timeline.selectors.timeline._search).
"""

from django.db import migrations

CREATE = (
    "CREATE INDEX IF NOT EXISTS development_search_fr ON timeline_development "
    "USING gin (to_tsvector('french'::regconfig, COALESCE(search_text, '')))"
)
DROP = "DROP INDEX IF EXISTS development_search_fr"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("timeline", "0005_editors_api_tokens")]

    operations = [migrations.RunPython(create, drop)]
