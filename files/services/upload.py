"""Uploading a document: validate, scan when quick, store once per content, attach.

No network I/O (storage, clamd) runs inside a transaction: content is stored first and a
row that fails to commit has its object removed; follow-up work is enqueued on commit.
"""

import logging
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO, TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F

from core.services import audit_log
from files import storage as file_storage
from files.entities import entity_check_visible
from files.errors import FileUploadForbiddenError, ScannerUnavailableError
from files.models import File, FileBlob, ScanStatus
from files.scanning import ScanResult, scan_stream
from files.services.blobs import (
    blob_follow_up_enqueue,
    blob_scan_result_apply,
    file_infected_notify,
)
from files.validation import clean_original_name, validate_upload

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IncomingUpload:
    """An upload already on local disk (HashingUploadHandler): never held in memory."""

    content: IO[bytes]  # the temp file (moved into local storage when possible)
    path: Path
    size: int
    sha256: str
    original_name: str


def _scan_now(upload: IncomingUpload) -> ScanResult | None:
    """Scan inside the request when it is quick; None means 'leave pending for the task'."""
    if upload.size > settings.FILES_SYNC_SCAN_MAX_BYTES:
        return None
    try:
        with open(upload.path, "rb") as fh:
            return scan_stream(fh)
    except ScannerUnavailableError as exc:
        logger.warning("files: scanner unavailable during upload, scan deferred: %s", exc)
        return None


def _file_create(
    *,
    blob: FileBlob,
    actor: "User",
    upload: IncomingUpload,
    file_name: str,
    entity_type: str,
    entity_id: int,
    is_public: bool,
    new_blob: bool,
) -> File:
    """Caller holds the blob's row lock inside a transaction."""
    FileBlob.objects.filter(pk=blob.pk).update(ref_count=F("ref_count") + 1)
    file = File.objects.create(
        original_name=clean_original_name(upload.original_name),
        file_name=file_name,
        file_path=blob.storage_key,
        file_size=blob.size,
        mime_type=blob.mime_type,
        uploaded_by=actor,
        entity_type=entity_type,
        entity_id=entity_id,
        is_public=is_public,
        virus_scan_status=blob.scan_status,
        sha256=blob.sha256,
        blob=blob,
    )
    audit_log(
        action="file.upload",
        actor=actor,
        obj=file,
        changes={
            "entity_type": entity_type,
            "entity_id": entity_id,
            "file_name": file_name,
            "size": blob.size,
            "mime_type": blob.mime_type,
            "sha256": blob.sha256,
            "deduplicated": not new_blob,
            "virus_scan_status": blob.scan_status,
        },
    )
    if blob.scan_status == ScanStatus.INFECTED:
        audit_log(
            action="file.infected",
            obj=file,
            changes={"signature": blob.scan_detail, "engine": blob.scan_engine},
        )
        file_infected_notify(blob=blob, files=[file])
    if new_blob:
        blob_follow_up_enqueue(blob)
    return file


def file_upload(
    *,
    actor: "User",
    upload: IncomingUpload,
    entity_type: str,
    entity_id: int,
    is_public: bool = False,
) -> File:
    """Validate, scan (when quick), store once per content, and attach to a record.

    Identical bytes already stored are reused (reference counted) and keep their scan
    result. Raises EntityNotFoundError, a FileValidationError subclass or FileTooLargeError.
    """
    if actor.is_read_only:
        raise FileUploadForbiddenError()
    entity_check_visible(user=actor, entity_type=entity_type, entity_id=entity_id)
    validated = validate_upload(
        path=upload.path, size=upload.size, original_name=upload.original_name
    )
    attach = partial(
        _file_create,
        actor=actor,
        upload=upload,
        file_name=validated.file_name,
        entity_type=entity_type,
        entity_id=entity_id,
        is_public=is_public,
    )

    existing = FileBlob.objects.filter(sha256=upload.sha256, purge_started_at__isnull=True).first()
    if existing is not None:
        with transaction.atomic():
            blob = (
                FileBlob.objects.select_for_update()
                .filter(pk=existing.pk, purge_started_at__isnull=True)
                .first()
            )
            if blob is not None:
                return attach(blob=blob, new_blob=False)
        # The twin started purging meanwhile: store our own copy.

    scan = _scan_now(upload)
    key = file_storage.content_save(key=file_storage.new_content_key(), content=upload.content)
    twin_used = False
    try:
        with transaction.atomic():
            blob = FileBlob(
                sha256=upload.sha256,
                storage_key=key,
                size=upload.size,
                mime_type=validated.mime_type,
            )
            if scan is not None:
                blob_scan_result_apply(blob, scan)
            try:
                with transaction.atomic():  # savepoint: a concurrent twin upload may win
                    blob.save()
            except IntegrityError:
                blob = FileBlob.objects.select_for_update().get(
                    sha256=upload.sha256, purge_started_at__isnull=True
                )
                twin_used = True
            file = attach(blob=blob, new_blob=not twin_used)
    except BaseException:
        file_storage.content_delete(key)
        raise
    if twin_used:
        file_storage.content_delete(key)
    return file
