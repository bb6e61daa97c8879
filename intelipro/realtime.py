"""The one path from sync code (services, Celery tasks) to the channel layer.

With Redis the layer crosses processes by itself. In embedded mode the in-memory layer lives
in the ASGI server's event loop; a send from a worker thread through `async_to_sync` runs on
another loop and the receiver is not woken for 1-3 s (measured, ../shared/SERVICES.md), so
sends from other threads are scheduled on the server's own loop, captured at ASGI startup.

With Redis, `async_to_sync` from a plain thread (a Celery worker, a command) runs each send on
a fresh event loop, and channels_redis keeps its connection pool per loop: every send paid a
new TCP connection and loop (~4 ms, and the pools piled up). Sends from sync code therefore go
through one long-lived sender loop per process (recreated after a fork).
"""

import asyncio
import logging
import os
import threading
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

_server_loop: asyncio.AbstractEventLoop | None = None
_server_thread_id: int | None = None

SEND_TIMEOUT_SECONDS = 5
SEND_MANY_CONCURRENCY = 32

_sender_loop: asyncio.AbstractEventLoop | None = None
_sender_pid: int | None = None
_sender_lock = threading.Lock()


def _sender() -> asyncio.AbstractEventLoop:
    """This process's long-lived loop for layer sends from sync code (started on first use)."""
    global _sender_loop, _sender_pid
    with _sender_lock:
        if _sender_loop is None or _sender_pid != os.getpid():
            loop = asyncio.new_event_loop()
            threading.Thread(
                target=loop.run_forever, name="channel-layer-sender", daemon=True
            ).start()
            _sender_loop, _sender_pid = loop, os.getpid()
        return _sender_loop


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
    if in_memory:
        async_to_sync(layer.group_send)(group, event)
        return
    future = asyncio.run_coroutine_threadsafe(layer.group_send(group, event), _sender())
    future.result(timeout=SEND_TIMEOUT_SECONDS)


def group_send_many(messages: list[tuple[str, dict[str, Any]]]) -> None:
    """Send many (group, event) pairs at once (a broadcast to many users).

    With Redis, the layer's `group_send_many` (intelipro/channel_layer.py) does them all in a
    few round trips; other layers get concurrent group_sends.
    """
    if not messages:
        return
    layer = get_channel_layer()
    if layer is None:
        return

    async def send_all() -> None:
        bulk = getattr(layer, "group_send_many", None)
        if bulk is not None:  # the Redis layer: a few round trips for the whole list
            await bulk(messages)
            return
        # Bounded concurrency: unbounded, each send opens its own Redis connection (1,000
        # users = 1,000 new connections, ~5 s); a few dozen in flight reuse the pool.
        gate = asyncio.Semaphore(SEND_MANY_CONCURRENCY)

        async def one(group: str, event: dict[str, Any]) -> None:
            async with gate:
                await layer.group_send(group, event)

        await asyncio.gather(*(one(group, event) for group, event in messages))

    loop = _server_loop
    in_memory = layer.__class__.__name__ == "InMemoryChannelLayer"
    if in_memory and loop is not None and loop.is_running():
        if threading.get_ident() == _server_thread_id:
            loop.create_task(send_all())
            return
        asyncio.run_coroutine_threadsafe(send_all(), loop).result(timeout=SEND_TIMEOUT_SECONDS * 6)
        return
    if in_memory:
        async_to_sync(send_all)()
        return
    asyncio.run_coroutine_threadsafe(send_all(), _sender()).result(timeout=SEND_TIMEOUT_SECONDS * 6)
