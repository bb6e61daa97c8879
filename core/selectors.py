"""Health probes of the services the product depends on, run with django-health-check.

`health_snapshot()` runs the library's checks (database, Redis, Celery ping) and maps each
result onto the spec's vocabulary. Results are kept for HEALTH_CACHE_SECONDS per process, so
an unauthenticated caller hammering /health costs at most one probe round every few seconds
(each round opens a Redis connection and broadcasts a Celery ping).
"""

import dataclasses
import datetime as dt
import threading
import time
from typing import Any

from asgiref.sync import async_to_sync
from django.conf import settings
from django.utils import timezone
from health_check.base import HealthCheck
from health_check.checks import Database
from health_check.exceptions import ServiceUnavailable

CONNECTED = "connected"
UNAVAILABLE = "unavailable"
NOT_CONFIGURED = "not_configured"
EAGER = "eager"
SERVICE_STATUSES = [CONNECTED, UNAVAILABLE, NOT_CONFIGURED, EAGER]
# Short timeouts: a health probe must answer fast even when a dependency hangs.
REDIS_TIMEOUT = dt.timedelta(seconds=0.5)
CELERY_PING_TIMEOUT = dt.timedelta(seconds=1)


@dataclasses.dataclass(frozen=True)
class HealthSnapshot:
    services: dict[str, str]
    checked_at: dt.datetime


@dataclasses.dataclass
class EmbeddedWorker(HealthCheck):
    """The Celery worker thread inside the web process (embedded mode) is running."""

    def run(self) -> None:
        from intelipro.embedded import embedded_worker_alive

        if not embedded_worker_alive():
            raise ServiceUnavailable("Embedded worker thread is not running")


def _redis_check() -> HealthCheck:
    from health_check.contrib.redis import Redis
    from redis.asyncio import Redis as RedisClient

    return Redis(
        client_factory=lambda: RedisClient.from_url(
            settings.REDIS_URL,
            socket_connect_timeout=REDIS_TIMEOUT.total_seconds(),
            socket_timeout=REDIS_TIMEOUT.total_seconds(),
        )
    )


def _celery_check(*, redis: str) -> HealthCheck | str:
    """The check to run for Celery, or its status when there is nothing to ping."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return EAGER  # tests: tasks run inline in this process, there is no worker
    if getattr(settings, "EMBEDDED_WORKER", False):
        return EmbeddedWorker()
    if not settings.REDIS_URL and settings.CELERY_BROKER_URL.startswith("filesystem"):
        return NOT_CONFIGURED  # no worker can be pinged over the filesystem transport
    if settings.CELERY_BROKER_URL.startswith("redis") and redis != CONNECTED:
        return UNAVAILABLE  # pinging through a dead broker would block on reconnects
    from health_check.contrib.celery import Ping

    from intelipro.celery import app

    # limit=1: answer as soon as one worker replies instead of waiting out the timeout.
    return Ping(app=app, timeout=CELERY_PING_TIMEOUT, limit=1)


async def _run(checks: dict[str, HealthCheck]) -> dict[str, str]:
    import asyncio

    results = await asyncio.gather(*(check.get_result() for check in checks.values()))
    return {
        name: CONNECTED if result.error is None else UNAVAILABLE
        for name, result in zip(checks, results, strict=True)
    }


def _probe() -> HealthSnapshot:
    checks: dict[str, HealthCheck] = {"database": Database()}
    if settings.REDIS_URL:
        checks["redis"] = _redis_check()
    services: dict[str, Any] = {"redis": NOT_CONFIGURED, **async_to_sync(_run)(checks)}
    celery = _celery_check(redis=services["redis"])
    if isinstance(celery, HealthCheck):
        celery = async_to_sync(_run)({"celery": celery})["celery"]
    services["celery"] = celery
    return HealthSnapshot(
        services={key: services[key] for key in ("database", "redis", "celery")},
        checked_at=timezone.now(),
    )


_cache_lock = threading.Lock()
_cached: tuple[float, HealthSnapshot] | None = None


def health_snapshot() -> HealthSnapshot:
    """The services' states, probed at most once per HEALTH_CACHE_SECONDS in this process
    (concurrent callers of an expired snapshot wait for one probe instead of each probing)."""
    global _cached
    ttl = settings.HEALTH_CACHE_SECONDS
    with _cache_lock:
        if _cached is not None and time.monotonic() - _cached[0] < ttl:
            return _cached[1]
        snapshot = _probe()
        _cached = (time.monotonic(), snapshot)
        return snapshot
