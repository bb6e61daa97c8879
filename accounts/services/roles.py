"""Roles: which modules of the permission matrix each role may use."""

from typing import Any

from django.db import transaction

from accounts import modules
from accounts.errors import RoleProtectedError
from accounts.models import Role, User
from core.services import audit_log

ROLE_EDITABLE_FIELDS = (
    "display_name",
    "description",
    "permissions",
    "mfa_required",
    "is_read_only",
)


def role_update(*, actor: User | None, role: Role, data: dict[str, Any]) -> Role:
    """Change a role's modules or flags. Takes effect on members' next request.

    The admin role always keeps the users module and write access, so nobody can lock every
    administrator out of user management.
    """
    unknown = set(data) - set(ROLE_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not editable: {sorted(unknown)}")
    if "permissions" in data:
        wanted = set(data["permissions"])
        # Matrix order, no duplicates, so the stored list reads like the spec's.
        data = {**data, "permissions": [m for m in modules.ALL_MODULES if m in wanted]}
    with transaction.atomic():
        role = Role.objects.select_for_update().get(pk=role.pk)
        if role.name == modules.ADMIN and (
            modules.USERS not in data.get("permissions", role.permissions)
            or data.get("is_read_only", role.is_read_only)
        ):
            raise RoleProtectedError()
        changes = {
            name: [getattr(role, name), value]
            for name, value in data.items()
            if getattr(role, name) != value
        }
        if not changes:
            return role
        for name, (_before, after) in changes.items():
            setattr(role, name, after)
        role.save(update_fields=[*changes, "updated_at"])
        audit_log(action="role.updated", actor=actor, obj=role, changes=changes)
    return role
