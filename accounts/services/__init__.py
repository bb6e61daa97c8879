"""Every write of accounts, split by sub-domain. Import from the sub-modules or from here."""

from accounts.services.auth import auth_login, auth_mfa_login, login_complete
from accounts.services.mfa import mfa_confirm, mfa_disable, mfa_reset, mfa_setup
from accounts.services.passwords import (
    password_change,
    password_reset_confirm,
    password_reset_request,
)
from accounts.services.roles import role_update
from accounts.services.sessions import (
    session_create,
    session_logout,
    session_refresh,
    session_revoke,
    sessions_revoke_all,
)
from accounts.services.users import (
    profile_update,
    user_activate,
    user_create,
    user_deactivate,
    user_update,
)

__all__ = [
    "auth_login",
    "auth_mfa_login",
    "login_complete",
    "mfa_confirm",
    "mfa_disable",
    "mfa_reset",
    "mfa_setup",
    "password_change",
    "password_reset_confirm",
    "password_reset_request",
    "profile_update",
    "role_update",
    "session_create",
    "session_logout",
    "session_refresh",
    "session_revoke",
    "sessions_revoke_all",
    "user_activate",
    "user_create",
    "user_deactivate",
    "user_update",
]
