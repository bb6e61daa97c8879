"""Health probes of the services the product depends on."""

import logging

from django.conf import settings
from django.db import connection
from django.db.utils import DatabaseError

logger = logging.getLogger(__name__)

CONNECTED = "connected"
UNAVAILABLE = "unavailable"
NOT_CONFIGURED = "not_configured"
EAGER = "eager"
SERVICE_STATUSES = [CONNECTED, UNAVAILABLE, NOT_CONFIGURED, EAGER]
# Short timeouts: a health probe must answer fast even when a dependency hangs.
REDIS_TIMEOUT_SECONDS = 0.5
CELERY_PING_TIMEOUT_SECONDS = 1.0


def database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.warning("health: database unreachable", exc_info=True)
        return UNAVAILABLE
    return CONNECTED


def redis_status() -> str:
    if not settings.REDIS_URL:
        return NOT_CONFIGURED
    import redis

    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
        )
        client.ping()
        client.close()
    except redis.RedisError:
        return UNAVAILABLE
    return CONNECTED


def celery_status(*, redis: str) -> str:
    """`connected` when a worker answers (or the embedded worker thread runs)."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return EAGER  # tests: tasks run inline in this process, there is no worker
    if getattr(settings, "EMBEDDED_WORKER", False):
        from intelipro.embedded import embedded_worker_alive

        return CONNECTED if embedded_worker_alive() else UNAVAILABLE
    if not settings.REDIS_URL and settings.CELERY_BROKER_URL.startswith("filesystem"):
        return NOT_CONFIGURED  # no worker can be pinged over the filesystem transport
    if settings.CELERY_BROKER_URL.startswith("redis") and redis != CONNECTED:
        return UNAVAILABLE  # pinging through a dead broker would block on reconnects
    from intelipro.celery import app

    try:
        replies = app.control.ping(timeout=CELERY_PING_TIMEOUT_SECONDS)
    except Exception:  # broker down: kombu raises transport-specific errors
        return UNAVAILABLE
    return CONNECTED if replies else UNAVAILABLE
