"""Background work of the files app. Every task takes ids, calls one service, is idempotent."""

import logging
from datetime import timedelta

from celery import shared_task

from files.errors import ScannerUnavailableError

logger = logging.getLogger(__name__)

# Scanner down: retry after 10 s, 20 s, 40 s ... capped at 10 min; after the last retry the
# blob stays pending and the 15-minute maintenance task enqueues it again.
SCAN_MAX_RETRIES = 8
SCAN_BACKOFF_BASE_SECONDS = 10
SCAN_BACKOFF_MAX_SECONDS = 600
# Maintenance handles this many rows per run (each is one task enqueue or one purge).
MAINTENANCE_BATCH = 500


def scan_retry_countdown(retries: int) -> int:
    return min(SCAN_BACKOFF_BASE_SECONDS * 2**retries, SCAN_BACKOFF_MAX_SECONDS)


@shared_task(bind=True, max_retries=SCAN_MAX_RETRIES, soft_time_limit=300, time_limit=360)
def file_blob_scan_task(self, *, blob_id: int) -> None:
    from files.services import file_blob_scan

    try:
        file_blob_scan(blob_id=blob_id)
    except ScannerUnavailableError as exc:
        # Eager mode (tests, CELERY_TASK_ALWAYS_EAGER) has no broker to hold a delayed
        # retry; the maintenance task re-enqueues pending scans instead.
        if self.request.is_eager or self.request.retries >= SCAN_MAX_RETRIES:
            logger.warning(
                "files: scan of blob %s gave up for now (%s); stays pending", blob_id, exc
            )
            return
        raise self.retry(exc=exc, countdown=scan_retry_countdown(self.request.retries)) from exc


@shared_task(soft_time_limit=120, time_limit=150)
def file_blob_thumbnail_task(*, blob_id: int) -> None:
    from files.services import file_blob_thumbnail_generate

    file_blob_thumbnail_generate(blob_id=blob_id)


@shared_task(
    autoretry_for=(OSError,), retry_backoff=True, max_retries=5, soft_time_limit=120, time_limit=150
)
def file_blob_purge_task(*, blob_id: int) -> None:
    from files.services import file_blob_purge

    file_blob_purge(blob_id=blob_id)


@shared_task(soft_time_limit=240, time_limit=300)
def file_maintenance_task() -> None:
    """Every 15 minutes: re-enqueue stuck scans, purge blobs whose last reference went."""
    from files.services import file_pending_scans_requeue, file_unreferenced_blobs_purge

    file_pending_scans_requeue(older_than=timedelta(minutes=10), limit=MAINTENANCE_BATCH)
    file_unreferenced_blobs_purge(older_than=timedelta(minutes=10), limit=MAINTENANCE_BATCH)
