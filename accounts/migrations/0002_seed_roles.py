"""Seed the spec's four roles with the modules of its permission matrix."""

from django.db import migrations

ROLES = {
    # name: (display_name, description, modules, read_only) - the spec's 002_sample_data.sql
    "admin": ("Administrator", "Full system access",
              ["dashboard", "upload", "cases", "emails", "campaigns", "settings", "users", "analytics"], False),
    "manager": ("Manager", "Management access",
                ["dashboard", "upload", "cases", "emails", "campaigns", "analytics"], False),
    "agent": ("Agent", "Agent access", ["dashboard", "cases", "emails"], False),
    "viewer": ("Viewer", "Read-only access", ["dashboard"], True),
}  # fmt: skip


def seed_roles(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for name, (display_name, description, modules, read_only) in ROLES.items():
        Role.objects.update_or_create(
            name=name,
            defaults={
                "display_name": display_name,
                "description": description,
                "permissions": modules,
                "is_read_only": read_only,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(seed_roles, migrations.RunPython.noop)]
