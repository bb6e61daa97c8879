"""channels_redis' RedisChannelLayer with batched broadcast sends and batched receives.

A broadcast (one notification to each of 1,000 users) is 1,000 group sends with different
messages. Stock `group_send` costs four Redis round trips per group (expire members, list
members, expire the target queues, a Lua script that pushes), so 1,000 users cost 4,000 round
trips. `group_send_many` does the same work, with the same keys, serialization, capacity
and expiry rules, in two round trips per Redis connection: one Lua script that expires and
lists every group's members, and one that expires old messages of every target queue and
pushes every message (checking each queue's capacity as it goes, so a queue that fills up
mid-broadcast refuses the rest exactly as `group_send` would).

Receiving: every consumer of a server process shares one Redis queue (the process's
`specific.<id>!` key). Stock `receive` makes all waiting consumers race for one asyncio.Lock
with two fresh tasks per call, and stock `receive_single` spends four round trips per
message (restore the backup queue, BZPOPMIN, back the message up, clean the backup), one
message at a time. Here one reader task per process queue (started by the first receive on
the loop, stopped by close_pools) pops messages and puts each into its channel's buffer;
a consumer only awaits its own buffer. After the blocking pop, one script also moves up to
RECEIVE_BATCH waiting messages into the same backup queue; they are handed out with no
further round trip, and the backup is cleared (and the per-queue lock released) when the last
one has been handed out. A crash in between leaves them in the backup queue, exactly as for
the stock single message.

It reuses the layer's own helpers (`_group_key`, `_map_channel_keys_to_connection`,
`consistent_hash`, `connection`), pinned with channels-redis in requirements/base.txt; the
Redis-backed websocket tests exercise it.
"""

import asyncio
import collections
import contextvars
import logging
import time
from typing import Any

from channels_redis.core import ChannelLock
from channels_redis.core import RedisChannelLayer as BaseRedisChannelLayer

logger = logging.getLogger(__name__)

# The stock group_send script (channels_redis.core.RedisChannelLayer.group_send), run over
# every (queue, message) pair of a broadcast at once; a queue may appear several times. Each
# push gets a slightly later score (1 µs apart), so a queue pops them in the order given:
# with one shared timestamp the random prefix of each message would decide the order.
PUSH_MANY_LUA = """
local over_capacity = 0
local n = #KEYS
local current_time = tonumber(ARGV[2 * n + 1])
local expiry = ARGV[2 * n + 2]
local stale_before = tonumber(ARGV[2 * n + 3])
for i=1,n do
    redis.call('ZREMRANGEBYSCORE', KEYS[i], 0, stale_before)
    if redis.call('ZCOUNT', KEYS[i], '-inf', '+inf') < tonumber(ARGV[i + n]) then
        redis.call('ZADD', KEYS[i], current_time + i * 0.000001, ARGV[i])
        redis.call('EXPIRE', KEYS[i], expiry)
    else
        over_capacity = over_capacity + 1
    end
end
return over_capacity
"""

# Every group's members, after dropping those older than the group expiry (the first two
# steps of stock group_send, for many groups at once).
MEMBERS_MANY_LUA = """
local members = {}
local stale_before = tonumber(ARGV[1])
for i=1,#KEYS do
    redis.call('ZREMRANGEBYSCORE', KEYS[i], 0, stale_before)
    members[i] = redis.call('ZRANGE', KEYS[i], 0, -1)
end
return members
"""


# Messages taken off a process queue per round trip once one has arrived.
RECEIVE_BATCH = 100

# Move up to ARGV[1] waiting messages of queue KEYS[1] into its backup queue KEYS[2] (the same
# move stock receive does for one message) and return them, oldest first.
POP_MORE_LUA = """
local popped = redis.call('ZPOPMIN', KEYS[1], ARGV[1])
for i = 1, #popped, 2 do
    redis.call('ZADD', KEYS[2], popped[i + 1], popped[i])
end
return popped
"""


class _ReaderStopped:
    """Put into a waiting consumer's buffer when its process reader stops on an error or is
    closed: the consumer's receive raises, as stock receive does when Redis fails, so the
    socket closes and the client reconnects and asks for what it missed (`sync`)."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


class RedisChannelLayer(BaseRedisChannelLayer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Process queue key -> raw messages already moved to its backup, not yet handed out.
        self._prefetched: dict[str, collections.deque[bytes]] = {}
        # Process queue name (`specific.<id>!`) -> the task that reads it for every consumer.
        self._readers: dict[str, asyncio.Task] = {}
        # Process-local channel -> how many receive() calls are waiting on its buffer.
        self._waiters: collections.Counter[str] = collections.Counter()

    # --- receiving: one reader per process queue ------------------------------------------

    async def receive(self, channel: str) -> dict[str, Any]:
        """As stock, for process-local channels without its per-call lock dance.

        Stock receive makes every waiting consumer race for one asyncio.Lock with two fresh
        tasks per call (lock acquire, buffer get), and the lock's waiter list is scanned on
        every cancel: with 1,000 sockets that bookkeeping cost more than writing the frames,
        and grew after bursts. Here one reader task per process queue pops messages
        (receive_single, crash-safe as before) and puts each into its channel's buffer;
        a consumer only awaits its own buffer. If the reader stops (Redis error, layer
        closed), the consumers waiting at that moment raise, as with stock; the next receive
        starts a new reader.

        Receive on one long-lived loop per layer instance (the ASGI server's). A loop that
        stops without close_pools() leaves its reader blocked in a pop that can take one
        message of the next loop's; code that receives on short-lived loops (tests) uses a
        new layer instance per loop.
        """
        if "!" not in channel:
            return await super().receive(channel)
        self.require_valid_channel_name(channel)  # raises TypeError when invalid
        real_channel = self.non_local_name(channel)
        if not real_channel.endswith(self.client_prefix + "!"):
            raise ValueError(f"Wrong client prefix: {channel!r} is not this process's channel")
        self._reader_ensure(real_channel)
        buffer = self.receive_buffer[channel]
        self._waiters[channel] += 1
        try:
            message = await buffer.get()
        except BaseException:
            self._unwait(channel, buffer, cancelled=True)
            raise
        self._unwait(channel, buffer, cancelled=False)
        if isinstance(message, _ReaderStopped):
            raise ConnectionError(f"channel layer reader stopped: {message.error!r}") from (
                message.error
            )
        return message

    def _unwait(self, channel: str, buffer: asyncio.Queue, *, cancelled: bool) -> None:
        self._waiters[channel] -= 1
        if self._waiters[channel] > 0:
            return  # another receive of the same channel still waits on this buffer
        del self._waiters[channel]
        # As stock: a cancelled receiver's buffer goes (its consumer is closing), and an empty
        # one is not kept between receives.
        if (cancelled or buffer.empty()) and self.receive_buffer.get(channel) is buffer:
            del self.receive_buffer[channel]

    def _reader_ensure(self, real_channel: str) -> None:
        loop = asyncio.get_running_loop()
        reader = self._readers.get(real_channel)
        if reader is not None:
            reader_loop = reader.get_loop()
            if reader_loop is loop and not reader.done():
                return
            if reader_loop is not loop:
                if not reader.done() and reader_loop.is_running():
                    raise RuntimeError(
                        "Two event loops are trying to receive() on one channel layer at once!"
                    )
                self._forget_loop_state()
        self._readers[real_channel] = loop.create_task(
            self._read_forever(real_channel),
            name=f"channel-layer-reader {real_channel}",
            context=contextvars.Context(),  # not the first consumer's scope or log context
        )

    def _forget_loop_state(self) -> None:
        """The receive locks and prefetched batches of a reader that can no longer run (its
        loop is gone, or it was cancelled). Prefetched messages are still in the backup queue,
        which the next blocking pop puts back in front of the queue: none is lost."""
        self.receive_clean_locks = ChannelLock()
        self._prefetched.clear()

    async def _read_forever(self, real_channel: str) -> None:
        while True:
            try:
                message_channel, message = await self.receive_single(real_channel)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis down or failing: stock consumers would raise
                logger.warning("channel layer reader of %s stopped: %r", real_channel, exc)
                self._waiters_fail(exc)
                return
            channels = message_channel if isinstance(message_channel, list) else [message_channel]
            for name in channels:
                self.receive_buffer[name].put_nowait(message)

    def _waiters_fail(self, error: BaseException) -> None:
        for channel, waiting in list(self._waiters.items()):
            for _ in range(waiting):  # one per receive() waiting on that buffer
                self.receive_buffer[channel].put_nowait(_ReaderStopped(error))

    async def close_pools(self) -> None:
        """Stop this loop's readers (they hold a connection in a blocking pop), then close."""
        loop = asyncio.get_running_loop()
        mine = [r for r in self._readers.values() if not r.done() and r.get_loop() is loop]
        for reader in mine:
            reader.cancel()
        await asyncio.gather(*mine, return_exceptions=True)
        if mine:
            # A reader cancelled inside a lock wait leaves the lock's count behind.
            self._forget_loop_state()
            self._waiters_fail(ConnectionError("the channel layer was closed"))
        self._readers = {k: r for k, r in self._readers.items() if r not in mine}
        await super().close_pools()

    async def receive_single(self, channel: str) -> tuple[Any, dict[str, Any]]:
        if "!" not in channel:  # a named (non process-local) channel: the stock path
            return await super().receive_single(channel)
        self.require_valid_channel_name(channel, receive=True)
        index = self.consistent_hash(channel)
        channel_key = self.prefix + channel
        pending = self._prefetched.get(channel_key)
        if pending:
            # Called under the layer's receive lock, with this queue's clean lock still held
            # since the batch was taken: nothing else touches the queue's backup meanwhile.
            content = pending.popleft()
            if not pending:
                del self._prefetched[channel_key]
                self._backup_clear(index, channel_key)
            return self._unpacked(channel, content)

        await self.receive_clean_locks.acquire(channel_key)
        try:
            content = None
            while content is None:
                content = await self._brpop_with_clean(
                    index, channel_key, timeout=self.brpop_timeout
                )
            popped = await self.connection(index).eval(
                POP_MORE_LUA,
                2,
                channel_key,
                self._backup_channel_name(channel_key),
                RECEIVE_BATCH - 1,
            )
        except BaseException:
            self.receive_clean_locks.release(channel_key)
            raise
        more = popped[0::2]
        if more:
            self._prefetched[channel_key] = collections.deque(more)
        else:
            self._backup_clear(index, channel_key)
        return self._unpacked(channel, content)

    def _backup_clear(self, index: int, channel_key: str) -> None:
        """Drop the queue's backup (every message in it was handed out), then unlock it."""

        async def clear() -> None:
            # A backup left behind is put back in front of the queue by the next blocking pop,
            # and its messages (up to RECEIVE_BATCH, all handed out already) arrive twice.
            for attempt in range(3):
                try:
                    await self.connection(index).delete(self._backup_channel_name(channel_key))
                    return
                except Exception as exc:
                    if attempt == 2:
                        logger.warning("channel layer backup %s not cleared: %r", channel_key, exc)
                        return
                    await asyncio.sleep(0.05 * (attempt + 1))

        cleaner = asyncio.ensure_future(clear())
        self.receive_cleaners.append(cleaner)
        locks = self.receive_clean_locks  # the one it was acquired on (see _forget_loop_state)

        def done(task: asyncio.Future) -> None:
            self.receive_cleaners.remove(task)
            locks.release(channel_key)

        cleaner.add_done_callback(done)

    def _unpacked(self, channel: str, content: bytes) -> tuple[Any, dict[str, Any]]:
        """As stock receive_single: decode, and name the local channel(s) it is for."""
        message = self.deserialize(content)
        if "__asgi_channel__" in message:
            channel = message.pop("__asgi_channel__")
        return channel, message

    async def group_send_many(self, messages: list[tuple[str, dict[str, Any]]]) -> None:
        """`group_send(group, message)` for every pair, in a few round trips."""
        if not messages:
            return
        for group, _message in messages:
            self.require_valid_group_name(group)  # raises TypeError when invalid
        now = int(time.time())

        # 1. Members of every group (each group lives on the connection its name hashes to).
        groups_by_conn: dict[int, list[str]] = collections.defaultdict(list)
        for group in dict.fromkeys(group for group, _message in messages):
            groups_by_conn[self.consistent_hash(group)].append(group)
        members: dict[str, list[str]] = {}
        for index, groups in groups_by_conn.items():
            replies = await self.connection(index).eval(
                MEMBERS_MANY_LUA,
                len(groups),
                *(self._group_key(group) for group in groups),
                now - self.group_expiry,
            )
            for group, names in zip(groups, replies, strict=True):
                members[group] = [name.decode("utf8") for name in names]

        # 2. What each queue receives, per connection (same mapping as group_send).
        pushes: dict[int, list[tuple[str, bytes, int]]] = collections.defaultdict(list)
        for group, message in messages:
            if not members[group]:
                continue
            by_conn, key_message, key_capacity = self._map_channel_keys_to_connection(
                members[group], message
            )
            for index, keys in by_conn.items():
                pushes[index].extend((key, key_message[key], key_capacity[key]) for key in keys)

        # 3. One script per connection expires old messages of each target queue and pushes.
        for index, items in pushes.items():
            keys = [key for key, _msg, _cap in items]
            args = [msg for _key, msg, _cap in items] + [cap for _key, _msg, cap in items]
            over = await self.connection(index).eval(
                PUSH_MANY_LUA,
                len(keys),
                *keys,
                *args,
                time.time(),
                self.expiry,
                int(time.time()) - int(self.expiry),
            )
            if over:
                logger.info(
                    "%s of %s queued messages over capacity in a broadcast", over, len(items)
                )
