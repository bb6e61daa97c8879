"""Add the `messaging` module (communications, issue 16) to the admin, manager and agent roles.

Viewers don't get it. Roles an admin has already edited keep their other modules; running it
twice changes nothing.
"""

from django.db import migrations

ROLES_WITH_MESSAGING = ("admin", "manager", "agent")


def add_messaging_module(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for role in Role.objects.filter(name__in=ROLES_WITH_MESSAGING):
        if "messaging" not in role.permissions:
            role.permissions = [*role.permissions, "messaging"]
            role.save(update_fields=["permissions"])


def remove_messaging_module(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for role in Role.objects.all():
        if "messaging" in role.permissions:
            role.permissions = [m for m in role.permissions if m != "messaging"]
            role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_auth_rate_counter")]

    operations = [migrations.RunPython(add_messaging_module, remove_messaging_module)]
