"""The state of stored content (a FileBlob) that every files service shares: scan results,
the follow-up work they enqueue, and who hears of an infected upload.

Lock order is always blob, then file (scan results update a blob's files; a delete locks
the blob before the file), so two writers never wait on each other in opposite orders.
"""

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts import modules
from files import storage as file_storage
from files.models import File, FileBlob, ScanStatus
from files.scanning import ScanResult
from files.thumbnails import can_thumbnail

if TYPE_CHECKING:
    from accounts.models import User

_DOWNLOAD_CHUNK = 1024 * 1024


def enqueue_on_commit(task_name: str, **kwargs: Any) -> None:
    """Enqueue a files task after the current transaction commits."""
    from files import tasks

    transaction.on_commit(partial(getattr(tasks, task_name).delay, **kwargs))


@contextmanager
def content_local_path(key: str) -> Iterator[Path]:
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


def blob_files_status_mirror(blob: FileBlob) -> None:
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


def file_infected_notify(*, blob: FileBlob, files: list[File]) -> None:
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


def blob_scan_result_apply(blob: FileBlob, result: ScanResult) -> None:
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


def blob_follow_up_enqueue(blob: FileBlob) -> None:
    """Follow-up work for a blob's state (caller is inside the transaction)."""
    if blob.scan_status == ScanStatus.PENDING:
        enqueue_on_commit("file_blob_scan_task", blob_id=blob.pk)
    if (
        blob.scan_status == ScanStatus.CLEAN
        and blob.thumbnail_status == FileBlob.ThumbnailStatus.PENDING
    ):
        enqueue_on_commit("file_blob_thumbnail_task", blob_id=blob.pk)
