"""Support roles of the staff console: their permissions, and one group per role."""

from django.contrib.auth.management import create_permissions
from django.db import migrations, models

# The roles as they were when this migration was written (connected_apps.staff.roles.GROUPS):
# a migration must not change when that module does.
GROUPS = {
    "Support — read only": ("view_people_apps", "view_auditevent"),
    "Support — acting": ("view_people_apps", "act_on_people_apps", "view_auditevent"),
    "Incident response": (
        "view_people_apps",
        "act_on_people_apps",
        "disconnect_app_everywhere",
        "view_auditevent",
    ),
}


def create_groups(apps, schema_editor):
    # Permissions are normally made after every migration ran; the groups need them now.
    config = apps.get_app_config("connected_apps")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="connected_apps", codename__in=codenames
            )
        )


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("connected_apps", "0005_confirmed_developer"),
    ]

    operations = [
        migrations.CreateModel(
            name="StaffConsole",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
            ],
            options={
                "verbose_name": "staff console",
                "managed": False,
                "default_permissions": (),
                "permissions": [
                    ("view_people_apps", "Can see anyone's connected apps and the audit trail"),
                    ("act_on_people_apps", "Can change anyone's connected apps, giving a reason"),
                    (
                        "disconnect_app_everywhere",
                        "Can disconnect an app from everyone (incident response)",
                    ),
                ],
            },
        ),
        migrations.RunPython(create_groups, remove_groups),
    ]
