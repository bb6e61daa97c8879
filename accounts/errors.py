"""Errors of sign-in, sessions, MFA and user management. Codes are API contracts."""

from intelipro.api.errors import DomainError


class InvalidCredentialsError(DomainError):
    """Unknown email or wrong password: one answer for both (no user enumeration)."""

    code = "invalid_credentials"
    status_code = 401
    message = "Invalid email or password."


class AccountInactiveError(DomainError):
    code = "account_inactive"
    status_code = 401
    message = "This account is deactivated."


class AccountLockedError(DomainError):
    code = "account_locked"
    status_code = 401
    message = "This account is locked. Contact an administrator."


class RefreshTokenInvalidError(DomainError):
    """Expired, malformed, revoked, logged out or reused refresh token."""

    code = "token_not_valid"
    status_code = 401
    message = "The refresh token is invalid or has been revoked."


class MfaTokenInvalidError(DomainError):
    code = "invalid_mfa_token"
    status_code = 401
    message = "The MFA token is invalid or has expired. Sign in again."


class MfaCodeInvalidError(DomainError):
    code = "invalid_mfa_code"
    status_code = 400
    message = "The authentication code is not valid."


class MfaLoginCodeInvalidError(MfaCodeInvalidError):
    """Wrong code at the second factor of sign-in: authentication failed, so 401."""

    status_code = 401


class MfaAlreadyEnabledError(DomainError):
    code = "mfa_already_enabled"
    status_code = 409
    message = "MFA is already enabled. Disable it first to enrol another authenticator."


class MfaNotEnabledError(DomainError):
    code = "mfa_not_enabled"
    status_code = 409
    message = "MFA is not enabled for this account."


class MfaSetupRequiredError(DomainError):
    code = "mfa_setup_required"
    status_code = 409
    message = "Start the MFA set-up first (POST /auth/mfa/setup)."


class MfaRequiredByRoleError(DomainError):
    code = "mfa_required_by_role"
    status_code = 409
    message = "Your role requires MFA; it cannot be disabled."


class PasswordIncorrectError(DomainError):
    code = "invalid_password"
    status_code = 400
    message = "The password is incorrect."


class PasswordResetTokenInvalidError(DomainError):
    code = "invalid_token"
    status_code = 400
    message = "The reset link is invalid or has expired. Request a new one."


class SessionNotFoundError(DomainError):
    code = "not_found"
    status_code = 404
    message = "Session not found."


class UserEmailTakenError(DomainError):
    code = "email_taken"
    status_code = 409
    message = "A user with this email already exists."


class UserSelfActionError(DomainError):
    code = "cannot_change_self"
    status_code = 409
    message = "You cannot deactivate, lock or demote your own account."


class LastAdminError(DomainError):
    code = "last_admin"
    status_code = 409
    message = "At least one active administrator must remain."


class RoleProtectedError(DomainError):
    code = "role_protected"
    status_code = 409
    message = "The admin role must keep the users module."
