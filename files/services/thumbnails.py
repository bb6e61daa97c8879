"""Thumbnails of clean images and PDFs: rendered once, stored beside the content."""

import io
import logging

from django.db import transaction
from django.utils import timezone

from core.services import audit_log
from files import storage as file_storage
from files.models import FileBlob, ScanStatus
from files.services.blobs import content_local_path
from files.thumbnails import ThumbnailError, thumbnail_render

logger = logging.getLogger(__name__)


def file_blob_thumbnail_generate(*, blob_id: int) -> FileBlob | None:
    """Render and store a thumbnail of a clean image/PDF; idempotent (only when pending)."""
    blob = FileBlob.objects.filter(pk=blob_id).first()
    if (
        blob is None
        or blob.thumbnail_status != FileBlob.ThumbnailStatus.PENDING
        or blob.scan_status != ScanStatus.CLEAN
        or blob.purge_started_at
    ):
        return blob
    try:
        with content_local_path(blob.storage_key) as path:
            thumb = thumbnail_render(path=path, mime_type=blob.mime_type)
    except ThumbnailError as exc:
        logger.info("files: no thumbnail for blob %s: %s", blob_id, exc)
        with transaction.atomic():
            updated = FileBlob.objects.filter(
                pk=blob_id, thumbnail_status=FileBlob.ThumbnailStatus.PENDING
            ).update(thumbnail_status=FileBlob.ThumbnailStatus.FAILED, updated_at=timezone.now())
            if updated:
                audit_log(action="file.thumbnail_failed", obj=blob, changes={"reason": str(exc)})
        blob.refresh_from_db()
        return blob
    key = file_storage.content_save(
        key=file_storage.thumbnail_key_for(blob.storage_key, thumb.extension),
        content=io.BytesIO(thumb.data),
    )
    with transaction.atomic():
        updated = FileBlob.objects.filter(
            pk=blob_id,
            thumbnail_status=FileBlob.ThumbnailStatus.PENDING,
            purge_started_at__isnull=True,
        ).update(
            thumbnail_key=key,
            thumbnail_status=FileBlob.ThumbnailStatus.READY,
            updated_at=timezone.now(),
        )
        if updated:
            audit_log(action="file.thumbnail_generated", obj=blob, changes={"key": key})
    if not updated:  # a concurrent run won, or the blob started purging
        file_storage.content_delete(key)
    blob.refresh_from_db()
    return blob
