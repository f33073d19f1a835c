from django.db import migrations

EDITORS = "Editors"
ACTIONS = ["add", "change", "view"]  # no delete: a token is revoked, and the row stays


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations; the group needs them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=EDITORS)
    for action in ACTIONS:
        group.permissions.add(
            Permission.objects.get(content_type__app_label="timeline",
                                   codename=f"{action}_apitoken")
        )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=EDITORS).first()
    if group:
        group.permissions.remove(*Permission.objects.filter(
            content_type__app_label="timeline", codename__endswith="_apitoken"))


class Migration(migrations.Migration):
    dependencies = [("timeline", "0004_apitoken")]

    operations = [migrations.RunPython(grant, revoke)]
