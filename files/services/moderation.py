"""Admin decisions on content: rescan, quarantine, restore (for every upload of the bytes)."""

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from core.services import audit_log
from files.models import File, FileBlob, ScanStatus
from files.services.blobs import blob_files_status_mirror, blob_follow_up_enqueue
from files.thumbnails import can_thumbnail

if TYPE_CHECKING:
    from accounts.models import User


def _blob_status_set(
    *, file_id: int, actor: "User", status: str, detail: str, engine: str, action: str
) -> File:
    blob_id = File.objects.values_list("blob_id", flat=True).get(pk=file_id)
    with transaction.atomic():
        blob = FileBlob.objects.select_for_update().get(pk=blob_id)
        previous = blob.scan_status
        blob.scan_status = status
        blob.scan_detail = detail[:255]
        blob.scan_engine = engine
        if status == ScanStatus.CLEAN:
            blob.scanned_at = timezone.now()
            if can_thumbnail(blob.mime_type) and blob.thumbnail_status in (
                FileBlob.ThumbnailStatus.NONE,
                FileBlob.ThumbnailStatus.FAILED,
            ):
                blob.thumbnail_status = FileBlob.ThumbnailStatus.PENDING
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
        audit_log(
            action=action,
            actor=actor,
            obj=File.objects.get(pk=file_id),
            changes={
                "virus_scan_status": [previous, status],
                "detail": detail,
                "affected_file_ids": list(blob.files.values_list("pk", flat=True)),
            },
        )
        blob_follow_up_enqueue(blob)
    return File.objects.get(pk=file_id)


def file_rescan(*, file_id: int, actor: "User") -> File:
    """Scan the content again (e.g. after a signature update). A quarantine stays."""
    file = File.objects.select_related("blob").get(pk=file_id)
    if file.blob.scan_status == ScanStatus.QUARANTINED:
        return file
    return _blob_status_set(
        file_id=file_id,
        actor=actor,
        status=ScanStatus.PENDING,
        detail="",
        engine="",
        action="file.rescan",
    )


def file_quarantine(*, file_id: int, actor: "User", reason: str = "") -> File:
    """Withhold the content (and every upload of the same bytes) from downloads."""
    return _blob_status_set(
        file_id=file_id,
        actor=actor,
        status=ScanStatus.QUARANTINED,
        detail=f"quarantined by {actor.email}" + (f": {reason}" if reason else ""),
        engine="admin",
        action="file.quarantine",
    )


def file_restore(*, file_id: int, actor: "User") -> File:
    """An admin's decision that the content is safe (false positive, quarantine lifted)."""
    return _blob_status_set(
        file_id=file_id,
        actor=actor,
        status=ScanStatus.CLEAN,
        detail=f"restored by {actor.email}",
        engine="admin",
        action="file.restore",
    )
