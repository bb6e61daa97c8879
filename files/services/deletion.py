"""Deleting a document (soft) and purging content no upload uses any more."""

from datetime import timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from accounts import modules
from core.services import audit_log
from files import storage as file_storage
from files.errors import FileDeleteForbiddenError
from files.models import File, FileBlob
from files.services.blobs import enqueue_on_commit

if TYPE_CHECKING:
    from accounts.models import User


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
            enqueue_on_commit("file_blob_purge_task", blob_id=blob.pk)
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
