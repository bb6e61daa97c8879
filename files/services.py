"""Every write of the files app: upload, scan results, thumbnails, delete/purge, admin actions.

Lock order is always blob, then file (scan results update a blob's files; a delete locks
the blob before the file), so two writers never wait on each other in opposite orders.
No network I/O (storage, clamd) runs inside a transaction: content is stored first and a
row that fails to commit has its object removed; follow-up work is enqueued on commit.
"""

import logging
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts import modules
from core.services import audit_log
from files import storage as file_storage
from files.entities import entity_check_visible
from files.errors import (
    FileDeleteForbiddenError,
    FileInfectedError,
    FileLinkExpiredError,
    FileLinkInvalidError,
    FileNotPublicError,
    FileQuarantinedError,
    FileScanFailedError,
    FileScanPendingError,
    FileUploadForbiddenError,
    ScannerUnavailableError,
)
from files.models import File, FileBlob, ScanStatus
from files.scanning import ScanResult, scan_stream
from files.thumbnails import ThumbnailError, can_thumbnail, thumbnail_render
from files.validation import clean_original_name, validate_upload

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

PUBLIC_LINK_SALT = "files.public-link"
_DOWNLOAD_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class IncomingUpload:
    """An upload already on local disk (HashingUploadHandler): never held in memory."""

    content: IO[bytes]  # the temp file (moved into local storage when possible)
    path: Path
    size: int
    sha256: str
    original_name: str


# --- helpers ------------------------------------------------------------------------------


def _enqueue(task_name: str, **kwargs: Any) -> None:
    """Enqueue a files task after the current transaction commits."""
    from files import tasks

    transaction.on_commit(partial(getattr(tasks, task_name).delay, **kwargs))


@contextmanager
def _local_path(key: str) -> Iterator[Path]:
    """A local path to stored content: the file itself on disk, a streamed temp copy from S3."""
    storage = file_storage.files_storage()
    try:
        local = Path(storage.path(key))
    except NotImplementedError:
        local = None
    if local is not None:
        yield local
        return
    with tempfile.NamedTemporaryFile(prefix="intelipro-file-", suffix=".bin") as tmp:
        with file_storage.content_open(key) as src:
            while chunk := src.read(_DOWNLOAD_CHUNK):
                tmp.write(chunk)
        tmp.flush()
        yield Path(tmp.name)


def _mirror_status(blob: FileBlob) -> None:
    """Keep every File of this blob on the blob's scan status (set-based)."""
    File.objects.filter(blob=blob).exclude(virus_scan_status=blob.scan_status).update(
        virus_scan_status=blob.scan_status, updated_at=timezone.now()
    )


def _admins() -> list["User"]:
    from accounts.models import User

    return list(
        User.objects.filter(
            Q(role__name=modules.ADMIN) | Q(is_superuser=True), status=User.Status.ACTIVE
        )
    )


def _infected_notify(*, blob: FileBlob, files: list[File]) -> None:
    """Tell the uploaders and every admin (in the caller's transaction; pushed on commit)."""
    from notifications.services import notification_create

    recipients: dict[int, list[File]] = {}
    for file in files:
        if file.uploaded_by_id:
            recipients.setdefault(file.uploaded_by_id, []).append(file)
    admin_ids = [admin.pk for admin in _admins()]
    for admin_id in admin_ids:
        recipients.setdefault(admin_id, files)
    for user_id, user_files in recipients.items():
        for file in user_files[:10]:  # bound the fan-out of a re-uploaded infected file
            notification_create(
                user=user_id,
                type="system",
                title="Infected file quarantined",
                message=(
                    f"{file.file_name} ({file.entity_type} #{file.entity_id}) contains "
                    f"{blob.scan_detail or 'malware'} and was quarantined."
                ),
                data={
                    "file_id": file.pk,
                    "entity_type": file.entity_type,
                    "entity_id": file.entity_id,
                    "signature": blob.scan_detail,
                },
                priority="high",
            )


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


def _apply_scan_result(blob: FileBlob, result: ScanResult) -> None:
    blob.scanned_at = timezone.now()
    blob.scan_engine = result.engine[:50]
    if result.infected:
        blob.scan_status = ScanStatus.INFECTED
        blob.scan_detail = result.signature[:255]
    elif result.error:
        blob.scan_status = ScanStatus.ERROR
        blob.scan_detail = result.error[:255]
    else:
        blob.scan_status = ScanStatus.CLEAN
        blob.scan_detail = ""
    if (
        blob.scan_status == ScanStatus.CLEAN
        and can_thumbnail(blob.mime_type)
        and blob.thumbnail_status == FileBlob.ThumbnailStatus.NONE
    ):
        blob.thumbnail_status = FileBlob.ThumbnailStatus.PENDING


def _after_blob_change(blob: FileBlob) -> None:
    """Follow-up work for a blob's state (caller is inside the transaction)."""
    if blob.scan_status == ScanStatus.PENDING:
        _enqueue("file_blob_scan_task", blob_id=blob.pk)
    if (
        blob.scan_status == ScanStatus.CLEAN
        and blob.thumbnail_status == FileBlob.ThumbnailStatus.PENDING
    ):
        _enqueue("file_blob_thumbnail_task", blob_id=blob.pk)


# --- upload -------------------------------------------------------------------------------


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
        _infected_notify(blob=blob, files=[file])
    if new_blob:
        _after_blob_change(blob)
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
                _apply_scan_result(blob, scan)
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


# --- scanning -----------------------------------------------------------------------------


def file_blob_scan(*, blob_id: int) -> FileBlob | None:
    """Scan a pending blob's content and record the result; a no-op unless pending.

    Raises ScannerUnavailableError (the task retries with backoff; the blob stays pending).
    """
    blob = FileBlob.objects.filter(pk=blob_id).first()
    if blob is None or blob.scan_status != ScanStatus.PENDING or blob.purge_started_at:
        return blob
    FileBlob.objects.filter(pk=blob_id).update(scan_attempts=F("scan_attempts") + 1)
    with _local_path(blob.storage_key) as path, open(path, "rb") as fh:
        result = scan_stream(fh)
    return file_blob_scan_record(blob_id=blob_id, result=result)


def file_blob_scan_record(*, blob_id: int, result: ScanResult) -> FileBlob | None:
    """Store a scan result if the blob is still pending (compare-and-set under the lock)."""
    with transaction.atomic():
        blob = FileBlob.objects.select_for_update().filter(pk=blob_id).first()
        if blob is None or blob.scan_status != ScanStatus.PENDING:
            return blob
        _apply_scan_result(blob, result)
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
        _mirror_status(blob)
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
            _infected_notify(blob=blob, files=files)
        _after_blob_change(blob)
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


# --- thumbnails ---------------------------------------------------------------------------


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
        with _local_path(blob.storage_key) as path:
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
    import io

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


# --- delete and purge ---------------------------------------------------------------------


def _may_delete(user: "User", file: File) -> bool:
    if user.is_read_only:
        return False
    if user.is_superuser or user.role_name in (modules.ADMIN, modules.MANAGER):
        return True
    return file.uploaded_by_id == user.pk


def file_delete(*, file_id: int, actor: "User") -> File:
    """Soft-delete (the caller already checked the actor may see the file).

    The content stays until its last reference goes; then the purge task removes it.
    Deleting twice is a no-op.
    """
    blob_id = File.objects.values_list("blob_id", flat=True).get(pk=file_id)
    with transaction.atomic():
        blob = FileBlob.objects.select_for_update().get(pk=blob_id)
        file = File.objects.select_for_update().get(pk=file_id)
        if file.deleted_at is not None:
            return file
        if not _may_delete(actor, file):
            raise FileDeleteForbiddenError()
        file.deleted_at = timezone.now()
        file.deleted_by = actor
        file.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
        blob.ref_count = max(blob.ref_count - 1, 0)
        blob.save(update_fields=["ref_count", "updated_at"])
        audit_log(
            action="file.delete",
            actor=actor,
            obj=file,
            changes={"file_name": file.file_name, "remaining_references": blob.ref_count},
        )
        if blob.ref_count == 0:
            _enqueue("file_blob_purge_task", blob_id=blob.pk)
    return file


def file_blob_purge(*, blob_id: int) -> bool:
    """Remove an unreferenced blob's objects from storage; idempotent, resumable.

    Marks `purge_started_at` first (no upload can attach to it from then on), deletes the
    objects outside the transaction, then sets `purged_at`.
    """
    with transaction.atomic():
        blob = FileBlob.objects.select_for_update().filter(pk=blob_id).first()
        if blob is None or blob.purged_at is not None or blob.ref_count > 0:
            return False
        if blob.purge_started_at is None:
            blob.purge_started_at = timezone.now()
            blob.save(update_fields=["purge_started_at", "updated_at"])
    file_storage.content_delete(blob.storage_key)
    file_storage.content_delete(blob.thumbnail_key)
    with transaction.atomic():
        updated = FileBlob.objects.filter(pk=blob_id, purged_at__isnull=True).update(
            purged_at=timezone.now(), updated_at=timezone.now()
        )
        if updated:
            audit_log(
                action="file.content_purged",
                obj=blob,
                changes={"sha256": blob.sha256, "size": blob.size},
            )
    return bool(updated)


def file_unreferenced_blobs_purge(*, older_than: timedelta, limit: int = 500) -> int:
    """Purge blobs left at zero references (a crashed or lost purge task)."""
    cutoff = timezone.now() - older_than
    ids = list(
        FileBlob.objects.filter(ref_count=0, purged_at__isnull=True, updated_at__lt=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for blob_id in ids if file_blob_purge(blob_id=blob_id))


# --- admin actions ------------------------------------------------------------------------


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
        _mirror_status(blob)
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
        _after_blob_change(blob)
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


# --- serving ------------------------------------------------------------------------------


def file_servable_check(*, file: File) -> None:
    """Raise unless the file's content may be served (scan status)."""
    status = file.virus_scan_status
    if status == ScanStatus.CLEAN:
        return
    if status == ScanStatus.INFECTED:
        raise FileInfectedError(details={"file_id": file.pk})
    if status == ScanStatus.QUARANTINED:
        raise FileQuarantinedError(details={"file_id": file.pk})
    if status == ScanStatus.ERROR:
        raise FileScanFailedError(details={"file_id": file.pk})
    if not settings.FILES_ALLOW_PENDING_DOWNLOADS:
        raise FileScanPendingError(details={"file_id": file.pk})


def file_download_record(*, file: File, actor: "User | None", via: str) -> None:
    """Audit one download (the spec's audit list names file downloads)."""
    audit_log(
        action="file.download",
        actor=actor,
        obj=file,
        changes={"via": via, "file_name": file.file_name},
    )


def file_public_link_create(*, file: File, actor: "User") -> tuple[str, datetime]:
    """A signed token for the public route, valid FILES_PUBLIC_LINK_TTL_MINUTES."""
    if not file.is_public:
        raise FileNotPublicError(details={"file_id": file.pk})
    expires_at = timezone.now() + timedelta(minutes=settings.FILES_PUBLIC_LINK_TTL_MINUTES)
    token = signing.dumps(
        {"f": file.pk, "s": file.sha256[:16], "e": int(expires_at.timestamp())},
        salt=PUBLIC_LINK_SALT,
    )
    audit_log(
        action="file.link_create",
        actor=actor,
        obj=file,
        changes={"expires_at": expires_at.isoformat()},
    )
    return token, expires_at


def file_public_link_resolve(*, token: str) -> File:
    """The file a public link points to; raises FileLinkInvalidError / FileLinkExpiredError."""
    try:
        payload = signing.loads(token, salt=PUBLIC_LINK_SALT)
        file_id, digest, expires = int(payload["f"]), str(payload["s"]), int(payload["e"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise FileLinkInvalidError() from exc
    if timezone.now().timestamp() > expires:
        raise FileLinkExpiredError()
    file = File.objects.filter(
        pk=file_id, deleted_at__isnull=True, is_public=True, sha256__startswith=digest
    ).first()
    if file is None:
        raise FileLinkInvalidError()
    return file
