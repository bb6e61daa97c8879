"""Scanning stored content: run the scanner, record its verdict once, re-queue stuck scans."""

from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.services import audit_log
from files.models import FileBlob, ScanStatus
from files.scanning import ScanResult, scan_stream
from files.services.blobs import (
    blob_files_status_mirror,
    blob_follow_up_enqueue,
    blob_scan_result_apply,
    content_local_path,
    file_infected_notify,
)


def file_blob_scan(*, blob_id: int) -> FileBlob | None:
    """Scan a pending blob's content and record the result; a no-op unless pending.

    Raises ScannerUnavailableError (the task retries with backoff; the blob stays pending).
    """
    blob = FileBlob.objects.filter(pk=blob_id).first()
    if blob is None or blob.scan_status != ScanStatus.PENDING or blob.purge_started_at:
        return blob
    FileBlob.objects.filter(pk=blob_id).update(scan_attempts=F("scan_attempts") + 1)
    with content_local_path(blob.storage_key) as path, open(path, "rb") as fh:
        result = scan_stream(fh)
    return file_blob_scan_record(blob_id=blob_id, result=result)


def file_blob_scan_record(*, blob_id: int, result: ScanResult) -> FileBlob | None:
    """Store a scan result if the blob is still pending (compare-and-set under the lock)."""
    with transaction.atomic():
        blob = FileBlob.objects.select_for_update().filter(pk=blob_id).first()
        if blob is None or blob.scan_status != ScanStatus.PENDING:
            return blob
        blob_scan_result_apply(blob, result)
        blob.save(
            update_fields=[
                "scan_status",
                "scan_detail",
                "scan_engine",
                "scanned_at",
                "thumbnail_status",
                "updated_at",
            ]
        )
        blob_files_status_mirror(blob)
        files = list(blob.files.filter(deleted_at__isnull=True))
        audit_log(
            action="file.scan",
            obj=blob,
            changes={
                "virus_scan_status": blob.scan_status,
                "engine": blob.scan_engine,
                "detail": blob.scan_detail,
                "file_ids": [f.pk for f in files],
            },
        )
        if blob.scan_status == ScanStatus.INFECTED:
            for file in files:
                audit_log(
                    action="file.infected",
                    obj=file,
                    changes={"signature": blob.scan_detail, "engine": blob.scan_engine},
                )
            file_infected_notify(blob=blob, files=files)
        blob_follow_up_enqueue(blob)
    return blob


def file_pending_scans_requeue(*, older_than: timedelta, limit: int = 500) -> int:
    """Re-enqueue scans of blobs stuck in pending (scanner was down past the retries)."""
    cutoff = timezone.now() - older_than
    ids = list(
        FileBlob.objects.filter(
            scan_status=ScanStatus.PENDING, purge_started_at__isnull=True, updated_at__lt=cutoff
        )
        .order_by("updated_at")
        .values_list("pk", flat=True)[:limit]
    )
    from files.tasks import file_blob_scan_task

    for blob_id in ids:
        file_blob_scan_task.delay(blob_id=blob_id)
    return len(ids)
