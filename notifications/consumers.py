"""The notifications websocket: /ws/notifications/ (a ticket, the JWT subprotocol or `?token=`).

Closes with 4401 when unauthenticated, when the token expires, and at once when the socket's
session is revoked (logout, revocation, deactivation: the `session.revoked` layer event).

Server -> client frames: `notification.created`, `notification.read`, `notification.deleted`,
`unread_count`, `progress` (and any event sent with notification_event_send), `pong`,
`sync`, `error`. Client -> server: `ping`, `mark_read`, `sync`.
"""

import asyncio
import datetime as dt
import logging
import time
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils.dateparse import parse_datetime

from intelipro.realtime import session_group
from notifications import selectors
from notifications.errors import NotificationNotFoundError
from notifications.payloads import notification_payload, user_group
from notifications.services import notification_mark_read

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
# Mark at most this many ids per `mark_read` frame.
MARK_READ_MAX_IDS = 100


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            # Close before accepting: the handshake is answered with 403 by the server, which
            # browsers report as close code 1006. Accept first so the client sees 4401.
            await self.accept(self.scope.get("ws_subprotocol"))
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user = user
        self.group_name = user_group(user.pk)
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        session_id = self.scope.get("auth_session_id")
        if session_id:
            # Logout, revocation or deactivation of this session closes the socket at once
            # (session.revoked), not when its token expires.
            self.session_group_name = session_group(session_id)
            await self.channel_layer.group_add(self.session_group_name, self.channel_name)
        await self.accept(self.scope.get("ws_subprotocol"))
        expires_at = self.scope.get("auth_expires_at")
        if expires_at:
            # The token this socket was opened with expires: close with 4401 so the client
            # refreshes it and reconnects (then sends `sync` for what it missed).
            self._expiry = asyncio.get_running_loop().call_later(
                max(expires_at - time.time(), 0), self._expire
            )
        count = await database_sync_to_async(selectors.notification_unread_count)(user_id=user.pk)
        await self.send_json({"type": "unread_count", "data": {"unread_count": count}})

    def _expire(self) -> None:
        self._expiry_task = asyncio.ensure_future(self.close(code=CLOSE_UNAUTHENTICATED))

    async def disconnect(self, code: int) -> None:
        if getattr(self, "_expiry", None) is not None:
            self._expiry.cancel()
        if hasattr(self, "group_name"):
            await self.channel_layer.group_discard(self.group_name, self.channel_name)
        if hasattr(self, "session_group_name"):
            await self.channel_layer.group_discard(self.session_group_name, self.channel_name)

    # --- channel layer -> client ----------------------------------------------------------

    async def session_revoked(self, event: dict[str, Any]) -> None:
        # The session this socket was opened in ended: the client signs in (or refreshes)
        # again, as after a token expiry.
        await self.close(code=CLOSE_UNAUTHENTICATED)

    async def client_events(self, event: dict[str, Any]) -> None:
        # Frames arrive JSON-encoded by the sender ("texts"); "events" (dicts) is the layer
        # format before that change, still read while a deploy rolls.
        for text in event.get("texts", ()):
            await self.send(text_data=text)
        for frame in event.get("events", ()):
            await self.send_json(frame)

    # --- client -> server -----------------------------------------------------------------

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict):
            await self._error("invalid_message", "Send a JSON object with a `type`.")
            return
        kind = content.get("type")
        if kind == "ping":
            reply = {"type": "pong"}
            if "ts" in content:
                reply["ts"] = content["ts"]
            await self.send_json(reply)
        elif kind == "mark_read":
            await self._mark_read(content)
        elif kind == "sync":
            await self._sync_missed(content)
        else:
            await self._error("unknown_type", f"Unknown message type {kind!r}.")

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            await super().receive(text_data=text_data, bytes_data=bytes_data)
        except ValueError:  # invalid JSON
            await self._error("invalid_message", "Messages must be JSON.")

    async def _mark_read(self, content: dict[str, Any]) -> None:
        raw = content.get("ids", content.get("id", content.get("notification_id")))
        ids = raw if isinstance(raw, list) else [raw]
        if not ids or len(ids) > MARK_READ_MAX_IDS or not all(_is_id(i) for i in ids):
            await self._error("invalid_message", "mark_read needs `id` (or `ids`) as integers.")
            return
        for notification_id in ids:
            try:
                # The service publishes notification.read + unread_count to every tab.
                await database_sync_to_async(notification_mark_read)(
                    user=self.user, notification_id=int(notification_id)
                )
            except NotificationNotFoundError:
                await self._error("not_found", "Notification not found.", id=int(notification_id))

    async def _sync_missed(self, content: dict[str, Any]) -> None:
        since = _parse_since(content.get("since"))
        if since is None:
            await self._error("invalid_message", "sync needs `since` as an ISO 8601 timestamp.")
            return
        rows, count = await database_sync_to_async(_missed)(self.user.pk, since)
        await self.send_json(
            {
                "type": "sync",
                "data": {
                    "notifications": rows,
                    "unread_count": count,
                    "has_more": len(rows) >= selectors.SYNC_LIMIT,
                },
            }
        )

    async def _error(self, code: str, message: str, **details: Any) -> None:
        await self.send_json(
            {"type": "error", "error": {"code": code, "message": message, **details}}
        )


def _is_id(value: Any) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, str) and value.isdigit()
    )


def _parse_since(value: Any) -> dt.datetime | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        # Epoch seconds or milliseconds (JavaScript Date.now()).
        seconds = value / 1000 if value > 1e11 else value
        try:
            return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str):
        return None
    try:
        parsed = parse_datetime(value.replace(" ", "+") if "T" in value else value)
    except ValueError:
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


def _missed(user_id: int, since: dt.datetime) -> tuple[list[dict[str, Any]], int]:
    rows = selectors.notification_list_since(user_id=user_id, since=since)
    return (
        [notification_payload(n) for n in rows],
        selectors.notification_unread_count(user_id=user_id),
    )
