"""intelipro.channel_layer.RedisChannelLayer.group_send_many against a real Redis."""

import asyncio
import os
import uuid

import pytest

from intelipro.channel_layer import RedisChannelLayer

REDIS_URL = os.environ.get("REDIS_URL", "")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="needs a real Redis (REDIS_URL)")


def _new_layer(capacity: int, prefix: str = "") -> RedisChannelLayer:
    # Reads outlast the 5 s blocking pop, as in settings (redis-py defaults to 5 s too).
    return RedisChannelLayer(
        hosts=[{"address": REDIS_URL, "socket_timeout": 15}],
        prefix=prefix or f"t{uuid.uuid4().hex[:8]}",
        capacity=capacity,
    )


@pytest.fixture
async def layer():
    layer = _new_layer(capacity=5)
    yield layer
    await layer.flush()
    await layer.close_pools()


async def _drain(layer, channel, count):
    return [(await layer.receive(channel))["n"] for _ in range(count)]


async def test_each_message_reaches_every_member_of_its_group_in_order(layer):
    a, b, c = [await layer.new_channel() for _ in range(3)]
    await layer.group_add("g1", a)
    await layer.group_add("g1", b)
    await layer.group_add("g2", c)

    await layer.group_send_many(
        [
            ("g1", {"type": "x", "n": 1}),
            ("g2", {"type": "x", "n": 2}),
            ("nobody", {"type": "x", "n": 3}),
            ("g1", {"type": "x", "n": 4}),
        ]
    )

    assert await _drain(layer, a, 2) == [1, 4]
    assert await _drain(layer, b, 2) == [1, 4]
    assert await _drain(layer, c, 1) == [2]


async def test_same_as_group_send_for_a_member_on_another_layer_instance(layer):
    # A consumer in another process: its queue is another Redis key.
    other = _new_layer(capacity=5, prefix=layer.prefix)
    try:
        theirs = await other.new_channel()
        ours = await layer.new_channel()
        await layer.group_add("team", theirs)
        await layer.group_add("team", ours)
        await layer.group_send_many([("team", {"type": "x", "n": 7})])
        assert (await other.receive(theirs))["n"] == 7
        assert (await layer.receive(ours))["n"] == 7
    finally:
        await other.close_pools()


async def test_a_full_queue_refuses_the_rest_like_group_send(layer):
    channel = await layer.new_channel()
    await layer.group_add("g", channel)

    await layer.group_send_many([("g", {"type": "x", "n": n}) for n in range(8)])

    assert await _drain(layer, channel, 5) == [0, 1, 2, 3, 4]  # capacity 5
    await layer.group_send("g", {"type": "x", "n": 99})  # room again: still usable
    assert await _drain(layer, channel, 1) == [99]


async def test_batched_receive_hands_out_every_message_once_in_order():
    layer = _new_layer(capacity=1000)
    a, b = [await layer.new_channel() for _ in range(2)]
    await layer.group_add("a", a)
    await layer.group_add("b", b)
    # 250 messages wait on the process queue: several receive batches (RECEIVE_BATCH = 100).
    await layer.group_send_many(
        [("a" if n % 2 == 0 else "b", {"type": "x", "n": n}) for n in range(250)]
    )

    got_a = await _drain(layer, a, 125)
    got_b = await _drain(layer, b, 125)

    assert got_a == list(range(0, 250, 2))
    assert got_b == list(range(1, 250, 2))
    await layer.group_send("a", {"type": "x", "n": 1000})  # the queue is unlocked again
    assert await _drain(layer, a, 1) == [1000]
    for cleaner in list(layer.receive_cleaners):
        await cleaner
    connection = layer.connection(0)
    queue = layer.prefix + layer.non_local_name(a)
    assert await connection.zcard(layer._backup_channel_name(queue)) == 0
    assert await connection.zcard(queue) == 0
    await layer.flush()
    await layer.close_pools()


async def test_many_consumers_waiting_at_once_each_get_their_own_messages():
    # One reader per process queue routes every message to its channel's buffer (all 600
    # wait in this process's one queue: capacity counts per queue).
    layer = _new_layer(capacity=1000)
    channels = [await layer.new_channel() for _ in range(300)]
    for n, channel in enumerate(channels):
        await layer.group_add(f"u{n}", channel)
    waiting = [asyncio.ensure_future(_drain(layer, channel, 2)) for channel in channels]
    await asyncio.sleep(0.05)  # every consumer is waiting before anything is sent

    await layer.group_send_many(
        [(f"u{n}", {"type": "x", "n": n}) for n in range(300)]
        + [(f"u{n}", {"type": "x", "n": 1000 + n}) for n in range(300)]
    )

    got = await asyncio.wait_for(asyncio.gather(*waiting), timeout=10)
    assert got == [[n, 1000 + n] for n in range(300)]
    assert dict(layer.receive_buffer) == {}  # nothing left over, no buffer kept
    await layer.flush()
    await layer.close_pools()


async def test_a_cancelled_receive_loses_nothing(layer):
    channel = await layer.new_channel()
    await layer.group_add("g", channel)
    pending = asyncio.ensure_future(layer.receive(channel))
    await asyncio.sleep(0.05)
    pending.cancel()  # a consumer between two awaits (its socket closing, say)
    with pytest.raises(asyncio.CancelledError):
        await pending

    await layer.group_send("g", {"type": "x", "n": 5})

    assert (await asyncio.wait_for(layer.receive(channel), timeout=5))["n"] == 5


def test_one_layer_keeps_receiving_on_a_later_event_loop():
    # Test runs, management commands and server restarts in one process use new loops.
    layer = _new_layer(capacity=5)

    async def round_trip(n: int) -> int:
        channel = await layer.new_channel()
        await layer.send(channel, {"type": "x", "n": n})
        message = await asyncio.wait_for(layer.receive(channel), timeout=5)
        await layer.close_pools()
        return message["n"]

    assert asyncio.run(round_trip(1)) == 1
    assert asyncio.run(round_trip(2)) == 2

    async def cleanup() -> None:
        await layer.flush()
        await layer.close_pools()

    asyncio.run(cleanup())


async def test_waiting_consumers_see_the_error_when_redis_fails():
    # As stock: the consumer's receive raises, its socket closes, the client reconnects.
    layer = RedisChannelLayer(
        hosts=[{"address": "redis://127.0.0.1:1/0", "socket_connect_timeout": 1}],
        prefix=f"t{uuid.uuid4().hex[:8]}",
    )
    channel = await layer.new_channel()

    with pytest.raises(ConnectionError):
        await asyncio.wait_for(layer.receive(channel), timeout=10)
    assert dict(layer.receive_buffer) == {}


async def test_a_closed_layer_wakes_its_waiting_consumers(layer):
    channel = await layer.new_channel()
    waiting = [asyncio.ensure_future(layer.receive(channel)) for _ in range(2)]
    await asyncio.sleep(0.05)

    await layer.close_pools()

    for receive in waiting:
        with pytest.raises(ConnectionError):
            await asyncio.wait_for(receive, timeout=5)
    await layer.send(channel, {"type": "x", "n": 3})  # and it can be used again
    assert (await asyncio.wait_for(layer.receive(channel), timeout=5))["n"] == 3


async def test_two_receives_of_one_channel_both_get_a_message(layer):
    channel = await layer.new_channel()
    first = asyncio.ensure_future(layer.receive(channel))
    second = asyncio.ensure_future(layer.receive(channel))
    await asyncio.sleep(0.05)

    await layer.send(channel, {"type": "x", "n": 1})
    await layer.send(channel, {"type": "x", "n": 2})

    got = await asyncio.wait_for(asyncio.gather(first, second), timeout=5)
    assert sorted(m["n"] for m in got) == [1, 2]
