"""The one publish path for live events: sync code (services, tasks) -> the channel layer.

Every app publishes through `publish_on_commit` (or `publish_many_on_commit` for a broadcast),
in the style of Zulip's `send_event_on_commit`: the event leaves when the caller's
transaction commits, immediately outside a transaction, never for rolled-back work.

The layer is stock: channels_redis' `RedisChannelLayer` with REDIS_URL, channels'
`InMemoryChannelLayer` without it, used only through `group_send`.

Embedded mode (intelipro/embedded.py): the in-memory layer lives in the ASGI server's event
loop. A send from a thread the server did not start (the in-process Celery worker) would
otherwise run through `async_to_sync` on a loop of its own, and the consumer waiting on the
server loop is not woken for 1-3 s. The ASGI lifespan therefore registers the server's loop,
and sends from other threads of that process are run on it. Threads the server started for
sync code (Django views, `database_sync_to_async`) already land there through asgiref.
"""

import asyncio
import logging
from collections.abc import Iterable
from functools import partial
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

# A send that has not finished by then is abandoned (logged): a live event is best effort,
# clients recover what they missed with `sync`.
SEND_TIMEOUT_SECONDS = 10
# Group sends in flight at once for a broadcast. channels_redis opens a connection per
# concurrent command; a few dozen in flight reuse the pool instead of opening 1,000.
PUBLISH_CONCURRENCY = 32

_server_loop: asyncio.AbstractEventLoop | None = None


def register_server_loop(loop: asyncio.AbstractEventLoop | None) -> None:
    """Called by the ASGI lifespan handler (asgi.py) with the server's running loop."""
    global _server_loop
    _server_loop = loop


async def _send_all(messages: list[tuple[str, dict[str, Any]]]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    gate = asyncio.Semaphore(PUBLISH_CONCURRENCY)

    async def one(group: str, event: dict[str, Any]) -> None:
        async with gate:
            await layer.group_send(group, event)

    await asyncio.gather(*(one(group, event) for group, event in messages))


def publish(messages: Iterable[tuple[str, dict[str, Any]]]) -> None:
    """Send each `(group, event)` now, from synchronous code (prefer the on-commit forms)."""
    batch = list(messages)
    if not batch:
        return
    loop = _server_loop
    if loop is not None and loop.is_running():
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            # Sync code called on the server loop's own thread: nothing can block here.
            loop.create_task(_send_all(batch))
            return
        asyncio.run_coroutine_threadsafe(_send_all(batch), loop).result(SEND_TIMEOUT_SECONDS)
        return
    async_to_sync(_send_all)(batch)


def publish_on_commit(group: str, event: dict[str, Any]) -> None:
    """Send `event` to every consumer in `group` when the current transaction commits.

    Robust: the change is committed, so a layer outage is logged, never raised to the caller
    (clients recover stored notifications with `sync`).
    """
    transaction.on_commit(partial(publish, [(group, event)]), robust=True)


def publish_many_on_commit(messages: Iterable[tuple[str, dict[str, Any]]]) -> None:
    """`publish_on_commit` for many groups at once (a broadcast): one callback, sent
    concurrently."""
    transaction.on_commit(partial(publish, list(messages)), robust=True)


# --- sessions ------------------------------------------------------------------------------
# Every websocket opened with a session's token (or ticket) joins that session's group, so a
# revocation reaches exactly the sockets it ends, whichever app or process holds them.

SESSION_REVOKED = "session.revoked"


def session_group(session_id: object) -> str:
    """The channel-layer group of the websockets opened in one sign-in session."""
    return f"session.{session_id}"


def sessions_revoked_publish_on_commit(*, session_ids: Iterable[object]) -> None:
    """Tell the sockets of these sessions, when the revocation commits, that their session
    ended (logout, revocation, deactivation, password or MFA reset): they close with 4401."""
    publish_many_on_commit(
        [(session_group(session_id), {"type": SESSION_REVOKED}) for session_id in session_ids]
    )
