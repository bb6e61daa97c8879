"""JWTs with the spec's claims (sub, email, role, permissions, iat, exp) and the MFA token.

Refresh tokens carry `sid`, the id of the UserSession (the login) they belong to; the access
token made from one inherits it, so revoking a session stops its access tokens too
(accounts.authentication checks it on every request).
"""

import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core import signing
from django.utils.crypto import salted_hmac
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

if TYPE_CHECKING:
    from accounts.models import User

SESSION_CLAIM = "sid"
MFA_TOKEN_SALT = "accounts.mfa-token"  # noqa: S105 - a signing salt, not a secret
MFA_PURPOSE_LOGIN = "login"  # the user has an authenticator: prove it
MFA_PURPOSE_ENROL = "enrol"  # the role requires MFA and the user has none yet: enrol now


def _add_claims(token: AccessToken | RefreshToken, user: "User") -> None:
    token["sub"] = str(user.pk)
    token["email"] = user.email
    token["role"] = user.role_name
    token["permissions"] = user.module_permissions


def refresh_token_for(user: "User", *, remember_me: bool = False) -> RefreshToken:
    """A refresh token in a new session of `user` (as a login would make)."""
    from accounts.services.sessions import session_create

    _session, token = session_create(user=user, remember_me=remember_me)
    return token


def access_token_for(user: "User") -> AccessToken:
    """An access token in a new session of `user` (tests, tools), as a login would give.

    There are no session-less access tokens: the API refuses a token without `sid`.
    """
    return access_token_from(refresh_token_for(user))


def refresh_lifetime(*, remember_me: bool) -> timedelta:
    seconds = (
        settings.JWT_REFRESH_REMEMBER_ME_LIFETIME if remember_me else settings.JWT_REFRESH_LIFETIME
    )
    return timedelta(seconds=seconds)


def session_lifetime(*, remember_me: bool, created_at: datetime, now: datetime) -> timedelta:
    """The refresh lifetime from `now`, cut so it never passes the session's absolute cap
    (created_at + JWT_SESSION_MAX_AGE). Zero or less: the session is over."""
    cap = created_at + timedelta(seconds=settings.JWT_SESSION_MAX_AGE)
    return min(refresh_lifetime(remember_me=remember_me), cap - now)


def mint_refresh_token(*, user: "User", session_id: uuid.UUID, lifetime: timedelta) -> RefreshToken:
    """A new refresh token of session `session_id`. The caller records its jti."""
    token = RefreshToken()
    token.set_exp(lifetime=lifetime)
    token[api_settings.USER_ID_CLAIM] = str(user.pk)
    token[SESSION_CLAIM] = str(session_id)
    _add_claims(token, user)
    return token


def access_token_from(refresh: RefreshToken) -> AccessToken:
    """The access token of `refresh`, with iat and exp from the same instant (exp - iat is
    exactly the lifetime, as the spec's example shows)."""
    access = refresh.access_token
    access.set_iat(at_time=refresh.current_time)
    return access


def access_token_lifetime_seconds() -> int:
    return int(api_settings.ACCESS_TOKEN_LIFETIME.total_seconds())


def mfa_token_for(*, user: "User", purpose: str, remember_me: bool) -> str:
    """A short-lived signed token that only the MFA step accepts (never a bearer token)."""
    return signing.dumps(
        {
            "uid": user.pk,
            "purpose": purpose,
            "remember_me": remember_me,
            "nonce": uuid.uuid4().hex,
            # A password change since the first factor voids the token.
            "pwd": password_fingerprint(user),
        },
        salt=MFA_TOKEN_SALT,
        compress=True,
    )


def password_fingerprint(user: "User") -> str:
    return salted_hmac(MFA_TOKEN_SALT, user.password).hexdigest()[:16]


def mfa_token_payload(raw: str) -> dict[str, Any] | None:
    try:
        payload = signing.loads(raw, salt=MFA_TOKEN_SALT, max_age=settings.MFA_TOKEN_LIFETIME)
    except signing.BadSignature:  # includes SignatureExpired
        return None
    return payload if isinstance(payload, dict) else None
