"""Passwords: policy checks, change, forgotten-password reset and invitations.

Reset tokens are 256-bit HMACs of SECRET_KEY over the user and the link's expiry; only their
SHA-256 is stored, they expire after PASSWORD_RESET_TIMEOUT_SECONDS (1 hour) and are cleared
by their first use. The email task receives the user's id only and derives the token again.
"""

import hashlib
import uuid
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from accounts.errors import PasswordIncorrectError, PasswordResetTokenInvalidError
from accounts.models import User, UserSession
from accounts.services.sessions import sessions_revoke_all
from core.services import audit_log
from intelipro.api.throttling import rate_hit

RESET_KIND = "reset"
INVITE_KIND = "invite"
LINK_TOKEN_SALT = "accounts.password-link"  # noqa: S105 - a derivation salt, not a secret


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


def _link_token(user: User) -> str:
    """The raw token of the user's current link, derived from SECRET_KEY and the link's expiry.

    Derived rather than stored or passed along: the email task receives only the user's id
    (nothing in the broker opens an account), and recomputes the same token, so a task that
    runs twice sends the same link twice. Only the token's SHA-256 is stored; a new link
    (new expiry, to the microsecond) derives a different token and voids the old one.
    """
    expires = user.password_reset_expires.isoformat() if user.password_reset_expires else ""
    return salted_hmac(LINK_TOKEN_SALT, f"{user.pk}:{expires}", algorithm="sha256").hexdigest()


def _issue_token(*, user: User, lifetime: timedelta) -> None:
    """Caller holds the user's row lock."""
    user.password_reset_expires = timezone.now() + lifetime
    user.password_reset_token = token_hash(_link_token(user))
    user.save(update_fields=["password_reset_token", "password_reset_expires", "updated_at"])


def password_email_send(*, user_id: int, kind: str) -> bool:
    """Render and send the reset (or invitation) email with the user's current link.

    Returns False, sending nothing, when the user is gone or the link was used, replaced or
    expired since it was issued. Safe to run twice (the same link twice, which is harmless).
    """
    user = User.objects.filter(pk=user_id).first()
    if (
        user is None
        or not user.password_reset_token
        or user.password_reset_expires is None
        or user.password_reset_expires <= timezone.now()
    ):
        return False
    raw = _link_token(user)
    if not constant_time_compare(token_hash(raw), user.password_reset_token):
        return False  # issued under another SECRET_KEY: the user asks again
    template = "invite" if kind == INVITE_KIND else "password_reset"
    context = {
        "user": user,
        "link": reset_link(raw),
        "expires": user.password_reset_expires,
        "valid_minutes": settings.PASSWORD_RESET_TIMEOUT_SECONDS // 60,
        "valid_hours": settings.USER_INVITE_LIFETIME // 3600,
    }
    subject = render_to_string(f"accounts/email/{template}_subject.txt", context).strip()
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"accounts/email/{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
    )
    message.attach_alternative(
        render_to_string(f"accounts/email/{template}.html", context), "text/html"
    )
    message.send()
    return True


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
        _issue_token(user=user, lifetime=timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT_SECONDS))
        audit_log(
            action="auth.password_reset_requested",
            actor=None,
            obj=user,
            actor_label=email[:255],
            changes={"email": email, "sent": True},
        )
    # The block above has committed: the email goes out only for a stored token (STYLE §6).
    # Only the id travels through the broker; the task derives the link (_link_token).
    password_email_send_task.delay(user_id=user.pk, kind=RESET_KIND)


def user_invite_send(*, user: User) -> None:
    """Email a new user a link to choose their first password (valid USER_INVITE_LIFETIME)."""
    from accounts.tasks import password_email_send_task

    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        _issue_token(user=user, lifetime=timedelta(seconds=settings.USER_INVITE_LIFETIME))
    password_email_send_task.delay(user_id=user.pk, kind=INVITE_KIND)


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
