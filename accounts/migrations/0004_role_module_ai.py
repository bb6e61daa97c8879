"""Add the `ai` module (the AI assistant, issue 14) to the admin, manager and agent roles.

Viewers don't get it. Roles an admin has already edited keep their other modules; running it
twice changes nothing.
"""

from django.db import migrations

ROLES_WITH_AI = ("admin", "manager", "agent")


def add_ai_module(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for role in Role.objects.filter(name__in=ROLES_WITH_AI):
        if "ai" not in role.permissions:
            role.permissions = [*role.permissions, "ai"]
            role.save(update_fields=["permissions"])


def remove_ai_module(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for role in Role.objects.all():
        if "ai" in role.permissions:
            role.permissions = [m for m in role.permissions if m != "ai"]
            role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_passwordhistory_usersession")]

    operations = [migrations.RunPython(add_ai_module, remove_ai_module)]
