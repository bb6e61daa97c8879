"""Websocket authentication with the access JWT.

The token comes from the `token` query parameter or from the `Sec-WebSocket-Protocol`
header (`bearer, <token>`; browsers cannot set Authorization on a websocket). The user lands
in scope["user"] (AnonymousUser when missing, invalid or expired); consumers close with 4401.
scope["auth_expires_at"] holds the token's `exp` (epoch seconds) so a consumer can close the
socket with 4401 when the token it was opened with expires.
"""

import re
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.contrib.auth.models import AnonymousUser

WS_SUBPROTOCOL = "bearer"
# A JWT offered alone as the subprotocol (`Sec-WebSocket-Protocol: <jwt>`): header.payload.sig
_JWT_RE = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")


def _offered(scope: dict[str, Any]) -> list[str]:
    return [p.strip() for p in scope.get("subprotocols") or []]


def token_from_scope(scope: dict[str, Any]) -> str | None:
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
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
def _user_for_token(raw: str) -> tuple[Any, int | None]:
    """(user, token exp) for a valid access token of an active user, else (anonymous, None)."""
    # The API's own class: it also refuses tokens of revoked sessions (logout, reset, ...).
    from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError

    from accounts.authentication import JWTAuthentication

    auth = JWTAuthentication()
    try:
        validated = auth.get_validated_token(raw)
        user = auth.get_user(validated)
    except (InvalidToken, TokenError, AuthenticationFailed):
        return AnonymousUser(), None
    if not getattr(user, "is_active", False):
        return AnonymousUser(), None
    exp = validated.get("exp")
    return user, int(exp) if exp is not None else None


class JWTAuthMiddleware(BaseMiddleware):
    async def __call__(self, scope: dict, receive: Any, send: Any) -> Any:
        scope = dict(scope)
        raw = token_from_scope(scope)
        user, exp = await _user_for_token(raw) if raw else (AnonymousUser(), None)
        scope["user"] = user
        scope["auth_expires_at"] = exp
        scope["ws_subprotocol"] = subprotocol_to_accept(scope)
        return await super().__call__(scope, receive, send)


def JWTAuthMiddlewareStack(inner: Any) -> Any:  # noqa: N802 - mirrors AuthMiddlewareStack
    # No cookie or session middleware: sockets are authenticated by the JWT alone, and the
    # session wrapper sat on every frame the server sends.
    return JWTAuthMiddleware(inner)
