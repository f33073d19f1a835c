from django.db import migrations

from timeline import db


def install(apps, schema_editor):
    db.install(schema_editor.connection)


def uninstall(apps, schema_editor):
    db.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("timeline", "0001_initial")]

    operations = [migrations.RunPython(install, uninstall)]
