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


def test_group_send_from_a_worker_thread_reaches_the_server_loop(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    layer = get_channel_layer()
    loop = asyncio.new_event_loop()
    server = threading.Thread(target=loop.run_forever, daemon=True)
    server.start()
    try:
        channel = asyncio.run_coroutine_threadsafe(layer.new_channel(), loop).result(5)
        asyncio.run_coroutine_threadsafe(layer.group_add("user.1", channel), loop).result(5)
        realtime._server_thread_id = None
        realtime._server_loop = loop

        worker = threading.Thread(
            target=realtime.group_send, args=("user.1", {"type": "probe", "n": 1})
        )
        worker.start()
        worker.join(5)
        received = asyncio.run_coroutine_threadsafe(
            asyncio.wait_for(layer.receive(channel), 2), loop
        ).result(5)
    finally:
        realtime.register_server_loop(None)
        loop.call_soon_threadsafe(loop.stop)
        server.join(5)
        channel_layers.backends.clear()

    assert received == {"type": "probe", "n": 1}
