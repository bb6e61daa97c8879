"""Reads of uploads."""

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from accounts import modules
from uploads.models import UploadBatch

if TYPE_CHECKING:
    from accounts.models import User

# Big JSON columns the list does not show.
_LIST_DEFERRED = ("error_log", "file_meta", "summary")


def upload_batch_visible(*, user: "User") -> QuerySet[UploadBatch]:
    """The one rule of who may see a batch (its list row, status, errors.csv and the files
    attached to it): admins, and managers with the upload module, every batch; anyone else
    only their own uploads."""
    qs = UploadBatch.objects.all()
    if not (user and user.is_authenticated):
        return qs.none()
    if user.is_superuser or (
        user.role_name in (modules.ADMIN, modules.MANAGER) and user.has_module(modules.UPLOAD)
    ):
        return qs
    return qs.filter(uploaded_by=user.pk)


def upload_batch_list(*, user: "User") -> QuerySet[UploadBatch]:
    """Batches the user may see (upload_batch_visible), with what a list row shows."""
    return (
        upload_batch_visible(user=user)
        .select_related("uploaded_by", "reviewed_by")
        .defer(*_LIST_DEFERRED)
    )


def upload_batch_get(*, user: "User", batch_id: int) -> UploadBatch | None:
    return (
        upload_batch_visible(user=user)
        .select_related("uploaded_by", "reviewed_by")
        .filter(pk=batch_id)
        .first()
    )
