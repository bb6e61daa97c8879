"""Sign-in: password, then (when enrolled or required by the role) the second factor."""

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import tokens
from accounts.errors import InvalidCredentialsError, MfaLoginCodeInvalidError, MfaTokenInvalidError
from accounts.models import User, UserSession
from accounts.services.mfa import mfa_code_verify
from accounts.services.sessions import ensure_can_sign_in, session_create
from accounts.services.throttle import login_attempt_reserve, login_attempt_succeeded
from core.services import audit_log
from intelipro.logging import get_request_meta


@dataclass
class LoginResult:
    """Either tokens (`user`, `session`, `refresh`) or an MFA step (`mfa_token`)."""

    user: User
    session: UserSession | None = None
    refresh: RefreshToken | None = None
    mfa_token: str | None = None
    mfa_setup_required: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def mfa_required(self) -> bool:
        return self.mfa_token is not None


def _login_failed(*, email: str, user: User | None, reason: str) -> None:
    audit_log(
        action="auth.login_failed",
        actor=None,
        obj=user,
        object_type="" if user else "accounts.user",
        actor_label=email[:255],
        changes={"email": email, "reason": reason},
    )


def login_complete(*, user: User, remember_me: bool, method: str) -> LoginResult:
    """Open the session and record the sign-in. Caller has checked every factor."""
    with transaction.atomic():
        session, refresh = session_create(user=user, remember_me=remember_me)
        user.last_login = timezone.now()
        user.save(update_fields=["last_login", "updated_at"])
        audit_log(
            action="auth.login_success",
            actor=user,
            obj=user,
            changes={"method": method, "session_id": str(session.pk), "remember_me": remember_me},
        )
    return LoginResult(user=user, session=session, refresh=refresh)


def auth_login(*, email: str, password: str, remember_me: bool = False) -> LoginResult:
    """First factor. Unknown email and wrong password take the same time and give one error."""
    email = email.strip().lower()
    ip = get_request_meta().ip_address
    login_attempt_reserve(email=email, ip=ip)
    user = User.objects.select_related("role").filter(email__iexact=email).first()
    if user is None:
        make_password(password)  # the hasher's work, as for a real account
        _login_failed(email=email, user=None, reason="unknown_email")
        raise InvalidCredentialsError()
    if not user.check_password(password):
        _login_failed(email=email, user=user, reason="wrong_password")
        raise InvalidCredentialsError()
    login_attempt_succeeded(email=email, ip=ip)
    try:
        ensure_can_sign_in(user)
    except Exception:
        _login_failed(email=email, user=user, reason=f"status_{user.status}")
        raise

    if user.mfa_enabled:
        token = tokens.mfa_token_for(
            user=user, purpose=tokens.MFA_PURPOSE_LOGIN, remember_me=remember_me
        )
        return LoginResult(user=user, mfa_token=token)
    if user.requires_mfa:
        token = tokens.mfa_token_for(
            user=user, purpose=tokens.MFA_PURPOSE_ENROL, remember_me=remember_me
        )
        return LoginResult(user=user, mfa_token=token, mfa_setup_required=True)
    return login_complete(user=user, remember_me=remember_me, method="password")


def mfa_token_user(*, mfa_token: str, purpose: str) -> tuple[User, dict[str, Any]]:
    """The user an MFA token was issued to, if it is valid, unused and for `purpose`."""
    payload = tokens.mfa_token_payload(mfa_token or "")
    if payload is None or payload.get("purpose") != purpose:
        raise MfaTokenInvalidError()
    uid = payload.get("uid")
    user = User.objects.select_related("role").filter(pk=uid).first() if uid else None
    if user is None or payload.get("pwd") != tokens.password_fingerprint(user):
        raise MfaTokenInvalidError()
    if cache.get(_used_key(payload)) is not None:
        raise MfaTokenInvalidError()
    ensure_can_sign_in(user)
    return user, payload


def _used_key(payload: dict[str, Any]) -> str:
    return f"accounts:mfa-token-used:{payload.get('nonce')}"


def mfa_token_consume(payload: dict[str, Any]) -> None:
    """Make an MFA token single-use; a second use (even concurrent) is refused.

    When the cache is down (add() answers None, errors ignored) the step still works: the code
    itself is single-use (TOTP steps and backup codes are consumed in the database).
    """
    if cache.add(_used_key(payload), 1, timeout=settings.MFA_TOKEN_LIFETIME + 60) is False:
        raise MfaTokenInvalidError()


def auth_mfa_login(*, mfa_token: str, code: str) -> LoginResult:
    """Second factor: a TOTP code or a backup code completes the sign-in."""
    user, payload = mfa_token_user(mfa_token=mfa_token, purpose=tokens.MFA_PURPOSE_LOGIN)
    ip = get_request_meta().ip_address
    login_attempt_reserve(email=user.email, ip=ip)
    method = mfa_code_verify(user=user, code=code, consume=True)
    if method is None:
        audit_log(action="auth.mfa_failed", actor=user, obj=user, changes={"step": "login"})
        raise MfaLoginCodeInvalidError()
    mfa_token_consume(payload)
    login_attempt_succeeded(email=user.email, ip=ip)
    audit_log(action="auth.mfa_used", actor=user, obj=user, changes={"method": method})
    return login_complete(
        user=user, remember_me=bool(payload.get("remember_me")), method=f"mfa_{method}"
    )
