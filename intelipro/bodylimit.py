"""Refuse oversized request bodies at the ASGI layer, before Django spools them to disk.

Django's ASGI handler reads the whole body into a temporary file before any view runs, so
a view's own size check cannot stop the transfer. This middleware answers 413 in the API
envelope as soon as `Content-Length` (or the streamed byte count) passes the limit of the
path (settings.REQUEST_BODY_LIMITS, longest matching prefix first; REQUEST_MAX_BODY_BYTES
otherwise). nginx's client_max_body_size is the outer guard in production.
"""

import json
from collections.abc import Awaitable, Callable
from typing import Any

from django.conf import settings

from intelipro.api.exceptions import error_body

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


def limit_for(path: str) -> tuple[int, str]:
    best: tuple[int, str] | None = None
    best_len = -1
    for prefix, (limit, code) in settings.REQUEST_BODY_LIMITS.items():
        if path.startswith(prefix) and len(prefix) > best_len:
            best, best_len = (limit, code), len(prefix)
    return best or (settings.REQUEST_MAX_BODY_BYTES, "payload_too_large")


async def _reject(send: Send, code: str, limit: int) -> None:
    body = json.dumps(
        error_body(code, "The request body is larger than the limit.", {"max_size": limit})
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodySizeLimitMiddleware:
    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, code = limit_for(scope.get("path", ""))
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > limit:
                    await _reject(send, code, limit)
                    return
        received = 0
        rejected = False

        async def counting_receive() -> dict[str, Any]:
            nonlocal received, rejected
            message = await receive()
            if message["type"] == "http.request" and not rejected:
                received += len(message.get("body", b""))
                if received > limit:
                    # A body without Content-Length went past the limit: answer 413 now and
                    # tell Django the client left, so it stops reading and sends nothing.
                    rejected = True
                    await _reject(send, code, limit)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: dict[str, Any]) -> None:
            if not rejected:
                await send(message)

        await self.app(scope, counting_receive, guarded_send)
