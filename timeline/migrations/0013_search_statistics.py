"""A larger statistics sample for the French full-text index (PostgreSQL).

With the default (100) ANALYZE keeps too few of the search text's words, so a word in
0.1 % of a million developments is estimated at 0.5 %: the planner then walks the date
index, recomputing each row's vector, and a date-ordered search for that word took 2–6 s
instead of 4 ms (bench, 958,753 developments). 300 keeps its words (ANALYZE: ~8 s there).
"""

from django.db import migrations

TARGET = 300


def set_target(apps, schema_editor, target=TARGET):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('development_search_kz') IS NOT NULL")
        exists = cursor.fetchone()[0]
    if exists:  # not while an interrupted rebuild has it dropped (its resume builds it)
        schema_editor.execute(
            f"ALTER INDEX development_search_kz ALTER COLUMN 1 SET STATISTICS {target}"
        )


def reset_target(apps, schema_editor):
    set_target(apps, schema_editor, target=-1)


class Migration(migrations.Migration):
    dependencies = [("timeline", "0012_suspendedindex")]

    operations = [migrations.RunPython(set_target, reset_target)]
