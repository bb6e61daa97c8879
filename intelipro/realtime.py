"""The one path from sync code (services, Celery tasks) to the channel layer.

With Redis the layer crosses processes by itself. In embedded mode the in-memory layer lives
in the ASGI server's event loop; a send from a worker thread through `async_to_sync` runs on
another loop and the receiver is not woken for 1-3 s (measured, ../shared/SERVICES.md), so
sends from other threads are scheduled on the server's own loop, captured at ASGI startup.
"""

import asyncio
import logging
import threading
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

_server_loop: asyncio.AbstractEventLoop | None = None
_server_thread_id: int | None = None

SEND_TIMEOUT_SECONDS = 5


def register_server_loop(loop: asyncio.AbstractEventLoop | None) -> None:
    """Called by the ASGI lifespan handler (asgi.py) with the server's running loop."""
    global _server_loop, _server_thread_id
    _server_loop = loop
    _server_thread_id = threading.get_ident() if loop is not None else None


def group_send(group: str, event: dict[str, Any]) -> None:
    """Send `event` to every consumer in `group`, from synchronous code."""
    layer = get_channel_layer()
    if layer is None:
        return
    loop = _server_loop
    in_memory = layer.__class__.__name__ == "InMemoryChannelLayer"
    if in_memory and loop is not None and loop.is_running():
        if threading.get_ident() == _server_thread_id:
            # Already on the server loop (sync code called from async via sync_to_async
            # with thread_sensitive runs elsewhere, so this is rare): fire and forget.
            loop.create_task(layer.group_send(group, event))
            return
        future = asyncio.run_coroutine_threadsafe(layer.group_send(group, event), loop)
        future.result(timeout=SEND_TIMEOUT_SECONDS)
        return
    async_to_sync(layer.group_send)(group, event)
