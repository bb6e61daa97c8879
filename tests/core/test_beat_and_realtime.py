"""Beat schedules mirrored from code; channel-layer sends from worker threads."""

import asyncio
import threading

import pytest
from channels.layers import get_channel_layer
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from core.services import BEAT_CODE_DESCRIPTION, beat_schedule_sync
from intelipro import realtime

pytestmark = pytest.mark.django_db


def test_migrate_mirrors_the_code_schedule_into_the_admin_tables(settings):
    call_command("migrate", verbosity=0)

    names = set(PeriodicTask.objects.filter(enabled=True).values_list("name", flat=True))
    assert set(settings.CELERY_BEAT_SCHEDULE) <= names


def test_beat_sync_is_idempotent(settings):
    beat_schedule_sync()
    before = PeriodicTask.objects.count()

    counts = beat_schedule_sync()

    assert PeriodicTask.objects.count() == before
    assert counts["created"] == 0


def test_beat_sync_disables_entries_removed_from_code(settings):
    settings.CELERY_BEAT_SCHEDULE = {
        **settings.CELERY_BEAT_SCHEDULE,
        "temporary.entry": {"task": "core.tasks.heartbeat_task", "schedule": 60.0},
    }
    beat_schedule_sync()
    settings.CELERY_BEAT_SCHEDULE = {
        k: v for k, v in settings.CELERY_BEAT_SCHEDULE.items() if k != "temporary.entry"
    }

    beat_schedule_sync()

    row = PeriodicTask.objects.get(name="temporary.entry")
    assert row.enabled is False
    assert row.description == BEAT_CODE_DESCRIPTION


def test_heartbeat_task_records_the_last_beat():
    from django.core.cache import cache

    from core.tasks import HEARTBEAT_CACHE_KEY, heartbeat_task

    heartbeat_task.delay()

    assert cache.get(HEARTBEAT_CACHE_KEY)


@pytest.fixture
def in_memory_layer(settings):
    from channels.layers import channel_layers

    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    channel_layers.backends.clear()
    yield get_channel_layer()
    channel_layers.backends.clear()


@pytest.fixture
def server_loop():
    """An event loop running in its own thread, registered as the ASGI lifespan does."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    realtime.register_server_loop(loop)
    yield loop
    realtime.register_server_loop(None)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


def _member(layer, loop, group: str) -> str:
    channel = asyncio.run_coroutine_threadsafe(layer.new_channel(), loop).result(5)
    asyncio.run_coroutine_threadsafe(layer.group_add(group, channel), loop).result(5)
    return channel


def _receive(layer, loop, channel: str) -> dict:
    return asyncio.run_coroutine_threadsafe(
        asyncio.wait_for(layer.receive(channel), 2), loop
    ).result(5)


def test_publish_from_a_worker_thread_reaches_the_server_loop(in_memory_layer, server_loop):
    channel = _member(in_memory_layer, server_loop, "user.1")

    worker = threading.Thread(
        target=realtime.publish, args=([("user.1", {"type": "probe", "n": 1})],)
    )
    worker.start()
    worker.join(5)

    assert _receive(in_memory_layer, server_loop, channel) == {"type": "probe", "n": 1}


@pytest.mark.django_db(transaction=True)
def test_publish_on_commit_sends_only_after_the_commit(in_memory_layer, server_loop):
    from django.db import transaction

    channel = _member(in_memory_layer, server_loop, "user.2")

    with transaction.atomic():
        realtime.publish_on_commit("user.2", {"type": "probe", "n": 2})
        with pytest.raises(asyncio.TimeoutError):
            asyncio.run_coroutine_threadsafe(
                asyncio.wait_for(in_memory_layer.receive(channel), 0.2), server_loop
            ).result(5)

    assert _receive(in_memory_layer, server_loop, channel) == {"type": "probe", "n": 2}


@pytest.mark.django_db(transaction=True)
def test_publish_on_commit_sends_nothing_after_a_rollback(in_memory_layer, server_loop):
    from django.db import transaction

    channel = _member(in_memory_layer, server_loop, "user.3")

    with transaction.atomic():
        realtime.publish_on_commit("user.3", {"type": "probe", "n": 3})
        transaction.set_rollback(True)
    realtime.publish_on_commit("user.3", {"type": "probe", "n": 4})

    assert _receive(in_memory_layer, server_loop, channel) == {"type": "probe", "n": 4}


@pytest.mark.django_db(transaction=True)
def test_publish_many_on_commit_reaches_every_group(in_memory_layer, server_loop):
    channels = [_member(in_memory_layer, server_loop, f"user.{k}") for k in range(10, 60)]

    realtime.publish_many_on_commit(
        [(f"user.{k}", {"type": "probe", "n": k}) for k in range(10, 60)]
    )

    assert [_receive(in_memory_layer, server_loop, c)["n"] for c in channels] == list(range(10, 60))
