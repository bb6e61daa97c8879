"""Embedded mode: a Celery worker and beat inside the ASGI server process.

Used by `make run` when no REDIS_URL is set, so the whole product (API, admin, websockets,
background jobs and schedules) runs from one process with no server to install. Background
jobs then share the server's in-memory channel layer, so their live events reach websocket
clients (see intelipro/realtime.py). With REDIS_URL set, `make run` starts a separate
`celery worker -B` process instead.
"""

import logging
import threading
from pathlib import Path
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)

_started: dict[str, Any] = {}


def embedded_worker_alive() -> bool:
    thread = _started.get("worker_thread")
    return bool(thread and thread.is_alive())


def start_embedded_worker() -> None:
    """Start worker + beat threads once per process (idempotent)."""
    if _started:
        return
    from celery.beat import EmbeddedService
    from celery.worker import WorkController

    from intelipro.celery import app

    for folder in (settings.CELERY_BROKER_TRANSPORT_OPTIONS or {}).values():
        if isinstance(folder, str) and "/" in folder:
            Path(folder).mkdir(parents=True, exist_ok=True)

    worker = WorkController(
        app=app,
        pool_cls="threads",
        concurrency=2,
        without_heartbeat=True,
        without_mingle=True,
        without_gossip=True,
        hostname="embedded@intelipro",
        loglevel="INFO",
    )
    worker_thread = threading.Thread(target=worker.start, name="celery-worker", daemon=True)
    worker_thread.start()
    beat = EmbeddedService(app, thread=True, scheduler_cls=settings.CELERY_BEAT_SCHEDULER)
    beat.start()
    _started.update(worker=worker, worker_thread=worker_thread, beat=beat)
    logger.info("embedded celery worker and beat started")


def stop_embedded_worker() -> None:
    if not _started:
        return
    try:
        _started["beat"].stop()
    except Exception:  # pragma: no cover - best effort at shutdown
        logger.exception("stopping embedded beat")
    try:
        _started["worker"].stop(in_sighandler=False)
    except Exception:  # pragma: no cover
        logger.exception("stopping embedded worker")
    _started.clear()
