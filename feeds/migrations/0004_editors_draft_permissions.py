"""Editors prepare the next issue: they see and change its draft."""

from django.db import migrations

EDITORS = "Editors"
PERMISSIONS = ["view_digestdraft", "change_digestdraft", "add_digestdraft"]


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("feeds")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=EDITORS)
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="feeds", codename__in=PERMISSIONS)
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=EDITORS).first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="feeds", codename__in=PERMISSIONS)
        )


class Migration(migrations.Migration):
    dependencies = [("feeds", "0003_digest_drafts_and_suppression")]

    operations = [migrations.RunPython(grant, revoke)]
