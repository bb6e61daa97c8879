"""Who may do what with the assistant, on top of the `ai` module (accounts.permissions)."""

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from accounts import modules

# Knowledge base: everyone with `ai` reads, admins and managers write (issue 14).
# AI settings: admins and managers read; writes need the `settings` module (admins).
AI_STAFF_ROLES = frozenset({modules.ADMIN, modules.MANAGER})


class AIStaffRole(BasePermission):
    """Limits the methods listed in the view's `staff_only_methods` to admins and managers."""

    message = "Only administrators and managers may do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        methods = getattr(view, "staff_only_methods", ())
        if request.method not in methods and not (
            "WRITE" in methods and request.method not in SAFE_METHODS
        ):
            return True
        user = request.user
        return bool(user.is_superuser or user.role_name in AI_STAFF_ROLES)
