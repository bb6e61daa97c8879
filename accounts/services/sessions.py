"""Sessions: refresh-token families, rotation, reuse detection, revocation and pruning.

simplejwt's OutstandingToken/BlacklistedToken rows mirror every refresh token we mint and
every one we retire, so the token_blacklist admin and `flushexpiredtokens` keep working.
UserSession is the truth for "may this refresh token be used".
"""

import logging
import uuid
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenBackendError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import tokens
from accounts.errors import AccountInactiveError, AccountLockedError, RefreshTokenInvalidError
from accounts.models import User, UserSession
from core.services import audit_log
from intelipro.logging import get_request_meta
from intelipro.realtime import sessions_revoked_publish_on_commit

logger = logging.getLogger(__name__)

# Pruning deletes this many rows per statement: short locks on a busy table.
PRUNE_BATCH_SIZE = 1000


def _record_outstanding(*, user: User, token: RefreshToken) -> None:
    # The token string itself is not stored: a database dump must not hold live credentials.
    OutstandingToken.objects.create(
        user=user,
        jti=token[api_settings.JTI_CLAIM],
        token="",
        created_at=timezone.now(),
        expires_at=datetime.fromtimestamp(token["exp"], tz=UTC),
    )


def _blacklist_jtis(jtis: list[str]) -> None:
    if not jtis:
        return
    outstanding = list(OutstandingToken.objects.filter(jti__in=jtis).values_list("pk", flat=True))
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token_id=pk) for pk in outstanding], ignore_conflicts=True
    )


def session_create(
    *,
    user: User,
    remember_me: bool = False,
    ip_address: str | None = None,
    user_agent: str | None = None,
) -> tuple[UserSession, RefreshToken]:
    """Open a session for `user` (a login) and mint its first refresh token."""
    meta = get_request_meta()
    now = timezone.now()
    lifetime = tokens.session_lifetime(remember_me=remember_me, created_at=now, now=now)
    session_id = uuid.uuid4()
    token = tokens.mint_refresh_token(user=user, session_id=session_id, lifetime=lifetime)
    with transaction.atomic():
        session = UserSession.objects.create(
            id=session_id,
            user=user,
            refresh_jti=token[api_settings.JTI_CLAIM],
            created_at=now,
            last_used_at=now,
            expires_at=now + lifetime,
            ip_address=ip_address if ip_address is not None else meta.ip_address,
            user_agent=(user_agent if user_agent is not None else meta.user_agent)[:500],
            remember_me=remember_me,
        )
        _record_outstanding(user=user, token=token)
    return session, token


def _decode_refresh(raw_token: str) -> tuple[str, uuid.UUID]:
    try:
        payload = token_backend.decode(raw_token, verify=True)  # signature and exp
    except TokenBackendError as exc:
        raise RefreshTokenInvalidError() from exc
    jti = payload.get(api_settings.JTI_CLAIM)
    if payload.get(api_settings.TOKEN_TYPE_CLAIM) != "refresh" or not jti:
        raise RefreshTokenInvalidError()
    try:
        session_id = uuid.UUID(str(payload.get(tokens.SESSION_CLAIM)))
    except ValueError as exc:
        raise RefreshTokenInvalidError() from exc
    return jti, session_id


def ensure_can_sign_in(user: User) -> None:
    if user.status == User.Status.LOCKED:
        raise AccountLockedError()
    if user.status != User.Status.ACTIVE:
        raise AccountInactiveError()


def session_refresh(*, raw_token: str) -> tuple[UserSession, RefreshToken]:
    """Rotate a refresh token: the presented one is retired, a new one is returned.

    Presenting a retired token (rotated out, logged out, revoked) is reuse: it is audited and,
    if its session is still live, the whole session is revoked, because either the thief or
    the owner holds the newer token and we cannot tell which.
    """
    jti, session_id = _decode_refresh(raw_token)
    meta = get_request_meta()
    reused = False
    with transaction.atomic():
        session = (
            UserSession.objects.select_for_update(of=("self",))
            .select_related("user", "user__role")
            .filter(pk=session_id)
            .first()
        )
        if session is None:
            raise RefreshTokenInvalidError()
        if session.revoked_at is not None or session.refresh_jti != jti:
            reused = True
            was_live = session.revoked_at is None
            if was_live:
                _revoke_locked(session=session, reason=UserSession.RevokedReason.REUSE_DETECTED)
            audit_log(
                action="auth.refresh_reuse",
                actor=session.user,
                obj=session.user,
                changes={
                    "session_id": str(session.pk),
                    "session_revoked": was_live,
                    "revoked_reason": session.revoked_reason,
                },
            )
        elif session.expires_at <= timezone.now():
            raise RefreshTokenInvalidError()
        else:
            user = session.user
            ensure_can_sign_in(user)
            now = timezone.now()
            # Rolling lifetime, but never past the session's absolute cap (JWT_SESSION_MAX_AGE).
            lifetime = tokens.session_lifetime(
                remember_me=session.remember_me, created_at=session.created_at, now=now
            )
            if lifetime <= timedelta(0):
                raise RefreshTokenInvalidError()
            token = tokens.mint_refresh_token(user=user, session_id=session.pk, lifetime=lifetime)
            _record_outstanding(user=user, token=token)
            _blacklist_jtis([jti])
            session.refresh_jti = token[api_settings.JTI_CLAIM]
            session.last_used_at = now
            session.expires_at = now + lifetime
            session.ip_address = meta.ip_address or session.ip_address
            session.user_agent = (meta.user_agent or session.user_agent)[:500]
            session.save(
                update_fields=[
                    "refresh_jti",
                    "last_used_at",
                    "expires_at",
                    "ip_address",
                    "user_agent",
                ]
            )
    if reused:
        # Raised after the block so the revocation and its audit event are committed.
        raise RefreshTokenInvalidError()
    return session, token


def _revoke_locked(*, session: UserSession, reason: str) -> None:
    """Caller holds the session's row lock (or owns it exclusively)."""
    session.revoked_at = timezone.now()
    session.revoked_reason = reason
    session.save(update_fields=["revoked_at", "revoked_reason"])
    _blacklist_jtis([session.refresh_jti])
    sessions_revoked_publish_on_commit(session_ids=[session.pk])  # its sockets close (4401)


def session_revoke(
    *, session_id: uuid.UUID | str, user: User, reason: str, actor: User | None = None
) -> UserSession:
    """Revoke one live session of `user` (logout, DELETE /auth/sessions/{id}, the admin)."""
    from accounts.errors import SessionNotFoundError

    with transaction.atomic():
        session = (
            UserSession.objects.select_for_update()
            .filter(pk=session_id, user=user, revoked_at__isnull=True)
            .first()
        )
        if session is None:
            raise SessionNotFoundError()
        _revoke_locked(session=session, reason=reason)
        audit_log(
            action="auth.logout"
            if reason == UserSession.RevokedReason.LOGOUT
            else "auth.session_revoked",
            actor=actor or user,
            obj=user,
            changes={"session_id": str(session.pk), "reason": reason},
        )
    return session


def session_logout(*, user: User | None, raw_token: str | None, session_id: str | None) -> None:
    """Log out: retire the given refresh token's session, or the caller's current session.

    A refresh token that is already retired, expired or not the caller's is ignored, so
    logout is idempotent and leaks nothing.
    """
    target: uuid.UUID | None = None
    if raw_token:
        try:
            _jti, target = _decode_refresh(raw_token)
        except RefreshTokenInvalidError:
            target = None
    elif session_id:
        try:
            target = uuid.UUID(str(session_id))
        except ValueError:
            target = None
    if target is None:
        return
    owner_filter = {"pk": target, "revoked_at__isnull": True}
    if user is not None and user.is_authenticated:
        owner_filter["user"] = user
    owner = UserSession.objects.filter(**owner_filter).select_related("user").first()
    if owner is None:
        return
    from accounts.errors import SessionNotFoundError

    try:
        session_revoke(session_id=target, user=owner.user, reason=UserSession.RevokedReason.LOGOUT)
    except SessionNotFoundError:  # revoked concurrently: the outcome the caller wanted
        return


def sessions_revoke_all(
    *, user: User, reason: str, except_session_id: uuid.UUID | str | None = None
) -> int:
    """Revoke every live session of `user` (in the caller's transaction when there is one)."""
    with transaction.atomic():
        live = UserSession.objects.select_for_update().filter(user=user, revoked_at__isnull=True)
        if except_session_id:
            live = live.exclude(pk=except_session_id)
        rows = list(live.values_list("pk", "refresh_jti"))
        if not rows:
            return 0
        UserSession.objects.filter(pk__in=[pk for pk, _jti in rows]).update(
            revoked_at=timezone.now(), revoked_reason=reason
        )
        _blacklist_jtis([jti for _pk, jti in rows])
        # Their open sockets close (4401) when this commits.
        sessions_revoked_publish_on_commit(session_ids=[pk for pk, _jti in rows])
    return len(rows)


def sessions_prune() -> dict[str, int]:
    """Delete sessions and outstanding tokens that expired (beat, daily). Idempotent."""
    # Access tokens of a session live at most ACCESS_TOKEN_LIFETIME past its last refresh,
    # which is never after the session's expiry; a margin of one lifetime is generous.
    cutoff = timezone.now() - api_settings.ACCESS_TOKEN_LIFETIME - timedelta(hours=1)
    deleted = {"sessions": 0, "tokens": 0}
    while True:
        pks = list(
            UserSession.objects.filter(expires_at__lt=cutoff).values_list("pk", flat=True)[
                :PRUNE_BATCH_SIZE
            ]
        )
        if not pks:
            break
        deleted["sessions"] += UserSession.objects.filter(pk__in=pks).delete()[0]
    while True:
        pks = list(
            OutstandingToken.objects.filter(expires_at__lt=cutoff).values_list("pk", flat=True)[
                :PRUNE_BATCH_SIZE
            ]
        )
        if not pks:
            break
        BlacklistedToken.objects.filter(token_id__in=pks).delete()
        deleted["tokens"] += OutstandingToken.objects.filter(pk__in=pks).delete()[0]
    from accounts.services.throttle import limit_windows_prune

    deleted["rate_windows"] = limit_windows_prune()
    return deleted
