"""Who may do what in the email app, on top of the `emails` module (accounts.permissions)."""

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accounts import modules

# Mailbox configuration (email_accounts): admins and managers only (issue 15).
MAILBOX_ADMIN_ROLES = frozenset({modules.ADMIN, modules.MANAGER})


class MailboxAdminRole(BasePermission):
    message = "Only administrators and managers may manage mailboxes."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user.is_superuser or user.role_name in MAILBOX_ADMIN_ROLES)
