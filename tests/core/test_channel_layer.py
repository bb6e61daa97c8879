"""intelipro.channel_layer.RedisChannelLayer.group_send_many against a real Redis."""

import os
import uuid

import pytest

from intelipro.channel_layer import RedisChannelLayer

REDIS_URL = os.environ.get("REDIS_URL", "")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="needs a real Redis (REDIS_URL)")


@pytest.fixture
async def layer():
    layer = RedisChannelLayer(hosts=[REDIS_URL], prefix=f"t{uuid.uuid4().hex[:8]}", capacity=5)
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
    other = RedisChannelLayer(hosts=[REDIS_URL], prefix=layer.prefix, capacity=5)
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
    layer = RedisChannelLayer(hosts=[REDIS_URL], prefix=f"t{uuid.uuid4().hex[:8]}", capacity=1000)
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
