"""Operations tasks."""

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

HEARTBEAT_CACHE_KEY = "core:beat-heartbeat"


@shared_task(soft_time_limit=10, time_limit=20)
def heartbeat_task() -> None:
    """Beat's pulse: the health endpoint reports when the scheduler last fired."""
    cache.set(HEARTBEAT_CACHE_KEY, timezone.now().isoformat(), timeout=3600)
