"""Search as readers type: aliases for topics, actors and places; on PostgreSQL, the
`unaccent` and `pg_trgm` extensions (PostgreSQL's contrib), a French text-search
configuration that drops accents before stemming, its GIN index, and a trigram index for
the typo-tolerant fallback. SQLite searches the folded `search_text` column itself.

`search_text` now holds folded text with aliases: run `rebuild_projections` after
migrating a database that already has developments.
"""

from django.db import migrations, models

POSTGRES_UP = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    """DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'kz_french') THEN
            CREATE TEXT SEARCH CONFIGURATION kz_french (COPY = french);
            ALTER TEXT SEARCH CONFIGURATION kz_french
                ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;
        END IF;
    END $$""",
    "DROP INDEX IF EXISTS development_search_fr",
    "CREATE INDEX IF NOT EXISTS development_search_kz ON timeline_development "
    "USING gin (to_tsvector('kz_french'::regconfig, COALESCE(search_text, '')))",
    "CREATE INDEX IF NOT EXISTS development_search_trgm ON timeline_development "
    "USING gin (search_text gin_trgm_ops)",
]
POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS development_search_trgm",
    "DROP INDEX IF EXISTS development_search_kz",
    "CREATE INDEX IF NOT EXISTS development_search_fr ON timeline_development "
    "USING gin (to_tsvector('french'::regconfig, COALESCE(search_text, '')))",
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS kz_french",
]


def up(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRES_UP:
            schema_editor.execute(statement)


def down(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRES_DOWN:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("timeline", "0009_development_date_sort")]

    operations = [
        migrations.AddField(
            model_name="topic",
            name="aliases",
            field=models.TextField(
                blank=True,
                help_text="Other names readers search for, one per line (acronyms, other languages).",
                verbose_name="aliases",
            ),
        ),
        migrations.AddField(
            model_name="actor",
            name="aliases",
            field=models.TextField(
                blank=True,
                help_text="Other spellings readers search for, one per line (transliterations).",
                verbose_name="aliases",
            ),
        ),
        migrations.CreateModel(
            name="SearchAlias",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "terms",
                    models.TextField(
                        help_text="Spellings searched as one, one per line: Astana, Nour-Soultan.",
                        verbose_name="terms",
                    ),
                ),
            ],
            options={
                "verbose_name": "search alias",
                "verbose_name_plural": "search aliases",
                "ordering": ["id"],
            },
        ),
        migrations.RunPython(up, down),
    ]
