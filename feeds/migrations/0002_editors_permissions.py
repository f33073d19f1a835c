"""Editors see the digests and their deliveries, and may send themselves a test of an
issue. Subscribers' personal data stays with those given the subscriber permissions."""

from django.db import migrations

EDITORS = "Editors"
PERMISSIONS = ["view_digest", "send_test_digest", "view_delivery"]


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations; the group needs them now.
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
    dependencies = [
        ("feeds", "0001_initial"),
        ("timeline", "0003_editors_group"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
