"""Websocket authentication: a single-use ticket, or the access JWT.

Browsers cannot set Authorization on a websocket. Ways to authenticate, best first:

1. `?ticket=<ticket>`: a ticket from `POST /api/v1/ws/ticket` (`ws_ticket_issue`). It is
   opaque, single use, bound to the user and the session of the access token that asked for
   it, and lives WS_TICKET_TTL_SECONDS (30 s): an access log or a proxy that records the
   URL records nothing reusable. Stored only as its SHA-256, in the cache.
2. `Sec-WebSocket-Protocol: bearer, <access token>`: the JWT in a header (not in URLs).
3. `?token=<access token>`: still accepted, discouraged: the token is in the URL. The
   product's access logs drop query strings (intelipro/logging.py, deploy/nginx.conf).

The user lands in scope["user"] (AnonymousUser when missing, invalid or expired); consumers
close with 4401. scope["auth_expires_at"] holds the access token's `exp` (epoch seconds; for a
ticket, that of the token that asked for it) so a consumer can close the socket with 4401 when
it expires. scope["auth_session_id"] is the session (the token's `sid` claim), or None.
"""

import hashlib
import re
import secrets
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache

from intelipro.api.errors import DomainError

WS_SUBPROTOCOL = "bearer"
# A JWT offered alone as the subprotocol (`Sec-WebSocket-Protocol: <jwt>`): header.payload.sig
_JWT_RE = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")


def _offered(scope: dict[str, Any]) -> list[str]:
    return [p.strip() for p in scope.get("subprotocols") or []]


def _query(scope: dict[str, Any]) -> dict[str, list[str]]:
    return parse_qs(scope.get("query_string", b"").decode("latin-1"))


def token_from_scope(scope: dict[str, Any]) -> str | None:
    query = _query(scope)
    if query.get("token"):
        return query["token"][0]
    protocols = _offered(scope)
    if WS_SUBPROTOCOL in protocols:
        rest = [p for p in protocols if p != WS_SUBPROTOCOL]
        return rest[0] if rest else None
    return next((p for p in protocols if _JWT_RE.match(p)), None)


def subprotocol_to_accept(scope: dict[str, Any]) -> str | None:
    """A browser fails the handshake unless the server picks one of the offered protocols:
    `bearer` when offered, else the bare token itself when that is what was offered."""
    protocols = _offered(scope)
    if WS_SUBPROTOCOL in protocols:
        return WS_SUBPROTOCOL
    return next((p for p in protocols if _JWT_RE.match(p)), None)


@database_sync_to_async
def _user_for_token(raw: str) -> tuple[Any, int | None, str | None]:
    """(user, token exp, session id) for a valid access token of an active user, else
    (anonymous, None, None)."""
    # The API's own class: it also refuses tokens of revoked sessions (logout, reset, ...).
    from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError

    from accounts.authentication import JWTAuthentication

    auth = JWTAuthentication()
    try:
        validated = auth.get_validated_token(raw)
        user = auth.get_user(validated)
    except (InvalidToken, TokenError, AuthenticationFailed):
        return AnonymousUser(), None, None
    if not getattr(user, "is_active", False):
        return AnonymousUser(), None, None
    exp = validated.get("exp")
    return user, int(exp) if exp is not None else None, getattr(user, "token_session_id", None)


# --- single-use tickets ---------------------------------------------------------------------

_TICKET_KEY = "ws-ticket:{}"


def _ticket_key(ticket: str) -> str:
    # Only the hash is stored: a cache dump yields no usable ticket.
    return _TICKET_KEY.format(hashlib.sha256(ticket.encode()).hexdigest())


class WebsocketTicketUnavailableError(DomainError):
    """The ticket store (the cache) did not take the ticket."""

    code = "service_unavailable"
    status_code = 503
    message = (
        "Websocket tickets are unavailable right now: retry, or connect with the "
        "`bearer` subprotocol."
    )


def ws_ticket_issue(*, user_id: int, session_id: str | None, expires_at: int | None) -> str:
    """A new single-use websocket ticket for `user_id` and their session, valid for
    WS_TICKET_TTL_SECONDS; `expires_at` is the exp of the access token that asked for it (the
    socket closes with 4401 then, as one opened with that token would)."""
    ticket = secrets.token_urlsafe(32)
    stored = cache.add(
        _ticket_key(ticket),
        {"user_id": user_id, "session_id": session_id, "exp": expires_at},
        timeout=settings.WS_TICKET_TTL_SECONDS,
    )
    if not stored:  # the cache is unreachable (its errors are ignored): no usable ticket
        raise WebsocketTicketUnavailableError
    return ticket


def _ticket_redeem(ticket: str) -> dict[str, Any] | None:
    """The ticket's record, once: whoever deletes the key first wins (cache.delete reports
    whether the key existed), so two connects racing with one ticket get one socket."""
    if not ticket or len(ticket) > 128:
        return None
    key = _ticket_key(ticket)
    record = cache.get(key)
    if not record or not cache.delete(key):
        return None
    return record


@database_sync_to_async
def _user_for_ticket(ticket: str) -> tuple[Any, int | None, str | None]:
    from accounts.models import User, UserSession

    record = _ticket_redeem(ticket)
    if record is None:
        return AnonymousUser(), None, None
    user = User.objects.select_related("role").filter(pk=record["user_id"]).first()
    if user is None or not user.is_active:
        return AnonymousUser(), None, None
    session_id = record["session_id"]
    if (
        session_id
        and not UserSession.objects.filter(
            pk=session_id, user=user, revoked_at__isnull=True
        ).exists()
    ):
        return AnonymousUser(), None, None
    return user, record["exp"], session_id


class JWTAuthMiddleware(BaseMiddleware):
    async def __call__(self, scope: dict, receive: Any, send: Any) -> Any:
        scope = dict(scope)
        ticket = _query(scope).get("ticket")
        raw = None if ticket else token_from_scope(scope)
        if ticket:
            user, exp, session_id = await _user_for_ticket(ticket[0])
        elif raw:
            user, exp, session_id = await _user_for_token(raw)
        else:
            user, exp, session_id = AnonymousUser(), None, None
        scope["user"] = user
        scope["auth_expires_at"] = exp
        scope["auth_session_id"] = session_id
        scope["ws_subprotocol"] = subprotocol_to_accept(scope)
        return await super().__call__(scope, receive, send)


def JWTAuthMiddlewareStack(inner: Any) -> Any:  # noqa: N802 - mirrors AuthMiddlewareStack
    # No cookie or session middleware: sockets are authenticated by the JWT alone, and the
    # session wrapper sat on every frame the server sends.
    return JWTAuthMiddleware(inner)
