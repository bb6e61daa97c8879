"""ASGI entry point: HTTP (Django) and websockets (Channels), plus a lifespan handler.

The lifespan handler captures the server's event loop for intelipro.realtime and, in
embedded mode, starts the in-process Celery worker and beat (intelipro.embedded).
"""

import asyncio
import gc
import os
from typing import Any

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "intelipro.settings.local")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import OriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from intelipro.bodylimit import BodySizeLimitMiddleware  # noqa: E402
from intelipro.realtime import register_server_loop  # noqa: E402


class TokenSocketOriginValidator(OriginValidator):
    """Browsers' sockets must come from an allowed origin (ALLOWED_HOSTS or the CORS list);
    clients that send no Origin at all (mobile apps, scripts) are let through, because the
    socket is authenticated by a JWT the client holds, never by a cookie the browser adds,
    so a cross-site page cannot ride on it (the attack the Origin check exists for)."""

    def valid_origin(self, parsed_origin: Any) -> bool:
        if parsed_origin is None:
            return True
        return self.validate_origin(parsed_origin)


def _allowed_socket_origins() -> list[str]:
    hosts = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not hosts:
        hosts = ["localhost", "127.0.0.1", "[::1]"]
    return hosts + list(getattr(settings, "CORS_ALLOWED_ORIGINS", []))


def _websocket_app() -> Any:
    from intelipro.ws_auth import JWTAuthMiddlewareStack

    # Every websocket route of the product, app by app (as intelipro/urls.py for HTTP).
    from notifications.routing import websocket_urlpatterns  # /ws/notifications/

    return TokenSocketOriginValidator(
        JWTAuthMiddlewareStack(URLRouter(websocket_urlpatterns)), _allowed_socket_origins()
    )


router = ProtocolTypeRouter(
    {"http": BodySizeLimitMiddleware(django_asgi_app), "websocket": _websocket_app()}
)


async def application(scope: dict, receive: Any, send: Any) -> None:
    if scope["type"] != "lifespan":
        await router(scope, receive, send)
        return
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            register_server_loop(asyncio.get_running_loop())
            # Everything loaded so far (Django, the apps, ~120k objects) lives as long as the
            # process: keep it out of the cyclic collector, whose full passes over it paused
            # the event loop ~40 ms each, in the middle of websocket fan-outs.
            gc.collect()
            gc.freeze()
            if getattr(settings, "EMBEDDED_WORKER", False):
                from intelipro.embedded import start_embedded_worker

                await asyncio.to_thread(start_embedded_worker)
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            if getattr(settings, "EMBEDDED_WORKER", False):
                from intelipro.embedded import stop_embedded_worker

                await asyncio.to_thread(stop_embedded_worker)
            register_server_loop(None)
            await send({"type": "lifespan.shutdown.complete"})
            return
