"""Celery tasks of uploads: thin wrappers over uploads.services."""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import InterfaceError, OperationalError

logger = logging.getLogger(__name__)

# A run stops by itself after UPLOAD_TASK_TIME_BUDGET_SECONDS and re-enqueues; the limits
# only catch a run that hangs (e.g. on a lock).
_SOFT_LIMIT = settings.UPLOAD_TASK_TIME_BUDGET_SECONDS + 120
_HARD_LIMIT = _SOFT_LIMIT + 60


@shared_task(
    autoretry_for=(OperationalError, InterfaceError),  # deadlocks, lost connections
    retry_backoff=True,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=8,
    soft_time_limit=_SOFT_LIMIT,
    time_limit=_HARD_LIMIT,
)
def upload_batch_process_task(*, batch_id: int) -> None:
    """Process a batch from its checkpoint; re-enqueues itself while work is left.

    Idempotent: a redelivered or duplicate message resumes from the last committed chunk,
    or does nothing when another run owns the batch or it is finished.
    """
    from uploads.services import upload_batch_fail, upload_batch_process

    try:
        result = upload_batch_process(batch_id=batch_id)
    except (OperationalError, InterfaceError):
        raise
    except SoftTimeLimitExceeded:
        result = "continue"  # the open chunk rolled back; continue from the checkpoint
    except Exception as exc:
        logger.exception("upload batch %s failed", batch_id)
        upload_batch_fail(batch_id=batch_id, reason=f"Internal error ({type(exc).__name__}).")
        return
    if result == "continue":
        upload_batch_process_task.delay(batch_id=batch_id)


@shared_task(soft_time_limit=60, time_limit=90)
def upload_batches_requeue_stuck_task() -> None:
    """Beat: re-queue batches stuck in processing/validating (their worker died)."""
    from uploads.services import upload_batches_requeue_stuck

    requeued = upload_batches_requeue_stuck()
    if requeued:
        logger.warning("re-queued stuck upload batches %s", requeued)
