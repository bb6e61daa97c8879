"""Passwords: policy checks, change, forgotten-password reset and invitations.

Reset tokens are 256-bit random strings; only their SHA-256 is stored, they expire after
PASSWORD_RESET_TIMEOUT_SECONDS (1 hour) and are cleared by their first use.
"""

import hashlib
import secrets
import uuid
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone

from accounts.errors import PasswordIncorrectError, PasswordResetTokenInvalidError
from accounts.models import User, UserSession
from accounts.services.sessions import sessions_revoke_all
from core.services import audit_log
from intelipro.api.throttling import rate_hit

RESET_KIND = "reset"
INVITE_KIND = "invite"


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def reset_link(raw: str) -> str:
    base = settings.FRONTEND_URL.rstrip("/")
    return f"{base}{settings.PASSWORD_RESET_PATH}?{urlencode({'token': raw})}"


def password_validate(*, password: str, user: User, field: str = "password") -> None:
    """The policy: ≥ 12 chars, not common, not like the email or names, not one of the last 5."""
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as exc:
        raise DjangoValidationError({field: exc.messages}) from exc


def _set_password(*, user: User, password: str) -> None:
    user.set_password(password)
    user.password_changed_at = timezone.now()
    user.password_reset_token = ""
    user.password_reset_expires = None
    user.save(
        update_fields=[
            "password",
            "password_changed_at",
            "password_reset_token",
            "password_reset_expires",
            "updated_at",
        ]
    )


def password_change(
    *,
    user: User,
    current_password: str,
    new_password: str,
    current_session_id: uuid.UUID | str | None = None,
) -> User:
    """Change one's own password. Every other session is signed out; this one stays."""
    if not user.check_password(current_password):
        audit_log(
            action="auth.password_change_failed",
            actor=user,
            obj=user,
            changes={"reason": "wrong_password"},
        )
        raise PasswordIncorrectError("The current password is incorrect.")
    password_validate(password=new_password, user=user, field="new_password")
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        _set_password(user=user, password=new_password)
        revoked = sessions_revoke_all(
            user=user,
            reason=UserSession.RevokedReason.PASSWORD_CHANGED,
            except_session_id=current_session_id,
        )
        audit_log(
            action="auth.password_changed",
            actor=user,
            obj=user,
            changes={"other_sessions_revoked": revoked},
        )
    return user


def _issue_token(*, user: User, lifetime: timedelta) -> str:
    raw = secrets.token_urlsafe(32)
    user.password_reset_token = token_hash(raw)
    user.password_reset_expires = timezone.now() + lifetime
    user.save(update_fields=["password_reset_token", "password_reset_expires", "updated_at"])
    return raw


def password_reset_request(*, email: str) -> None:
    """Email a reset link if an active account has this email; silent otherwise.

    The caller answers the same whatever happened (no user enumeration). At most
    PASSWORD_RESET_EMAIL_RATE emails per address, so the endpoint cannot flood an inbox.
    """
    from accounts.tasks import password_email_send_task

    email = email.strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    if user is None or not user.is_active:
        audit_log(
            action="auth.password_reset_requested",
            actor=None,
            obj=user,
            object_type="" if user else "accounts.user",
            actor_label=email[:255],
            changes={"email": email, "sent": False},
        )
        return
    window = rate_hit(
        scope="password_reset", ident=f"email:{email}", rate=settings.PASSWORD_RESET_EMAIL_RATE
    )
    if window.exceeded:
        audit_log(
            action="auth.password_reset_requested",
            actor=None,
            obj=user,
            actor_label=email[:255],
            changes={"email": email, "sent": False, "reason": "rate_limited"},
        )
        return
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        raw = _issue_token(
            user=user, lifetime=timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT_SECONDS)
        )
        audit_log(
            action="auth.password_reset_requested",
            actor=None,
            obj=user,
            actor_label=email[:255],
            changes={"email": email, "sent": True},
        )
    # The block above has committed: the email goes out only for a stored token (STYLE §6).
    password_email_send_task.delay(user_id=user.pk, token=raw, kind=RESET_KIND)


def user_invite_send(*, user: User) -> None:
    """Email a new user a link to choose their first password (valid USER_INVITE_LIFETIME)."""
    from accounts.tasks import password_email_send_task

    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        raw = _issue_token(user=user, lifetime=timedelta(seconds=settings.USER_INVITE_LIFETIME))
    password_email_send_task.delay(user_id=user.pk, token=raw, kind=INVITE_KIND)


def password_set_by_admin(*, actor: User | None, user: User) -> None:
    """After an administrator set a user's password (admin console): sign them out everywhere."""
    with transaction.atomic():
        revoked = sessions_revoke_all(user=user, reason=UserSession.RevokedReason.PASSWORD_RESET)
        User.objects.filter(pk=user.pk).update(
            password_changed_at=timezone.now(), password_reset_token="", password_reset_expires=None
        )
        audit_log(
            action="auth.password_set_by_admin",
            actor=actor,
            obj=user,
            changes={"sessions_revoked": revoked},
        )


def password_reset_confirm(*, token: str, password: str) -> User:
    """Set a new password with a reset token; every session of the user is revoked."""
    digest = token_hash(token or "")
    with transaction.atomic():
        user = (
            User.objects.select_for_update()
            .filter(password_reset_token=digest, password_reset_expires__gt=timezone.now())
            .exclude(password_reset_token="")
            .first()
        )
        if user is None:
            raise PasswordResetTokenInvalidError()
        password_validate(password=password, user=user, field="password")
        _set_password(user=user, password=password)
        revoked = sessions_revoke_all(user=user, reason=UserSession.RevokedReason.PASSWORD_RESET)
        audit_log(
            action="auth.password_reset_completed",
            actor=user,
            obj=user,
            changes={"sessions_revoked": revoked},
        )
    return user
