"""Reads of uploads."""

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from accounts.permissions import scope_queryset
from uploads.models import UploadBatch

if TYPE_CHECKING:
    from accounts.models import User

# Big JSON columns the list does not show.
_LIST_DEFERRED = ("error_log", "file_meta", "summary")


def upload_batch_list(*, user: "User") -> QuerySet[UploadBatch]:
    """Batches the user may see: admins and managers all (the upload module is theirs);
    anyone else only their own uploads."""
    qs = UploadBatch.objects.select_related("uploaded_by", "reviewed_by").defer(*_LIST_DEFERRED)
    return scope_queryset(qs, user, assignee_field="uploaded_by")


def upload_batch_get(*, user: "User", batch_id: int) -> UploadBatch | None:
    qs = UploadBatch.objects.select_related("uploaded_by", "reviewed_by")
    return scope_queryset(qs, user, assignee_field="uploaded_by").filter(pk=batch_id).first()
