"""Reads of uploads."""

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from accounts import modules
from accounts.permissions import scope_queryset
from uploads.models import UploadBatch

if TYPE_CHECKING:
    from accounts.models import User

# Big JSON columns the list does not show.
_LIST_DEFERRED = ("error_log", "file_meta", "summary")


def upload_batch_visible(*, user: "User") -> QuerySet[UploadBatch]:
    """The one rule of who may see a batch: its list row, status, errors.csv, review actions
    and the files attached to it (registered with files in uploads/apps.py).

    A batch follows its uploader's scope (accounts.permissions.scope_queryset): admins see
    every batch; managers every batch, or, when they are limited to a branch, the batches
    uploaded by people of that branch; anyone else (and anyone without the upload module)
    only their own uploads. Out of scope is absent, so it answers 404.
    """
    qs = UploadBatch.objects.all()
    if not (user and user.is_authenticated):
        return qs.none()
    if not (user.is_superuser or user.has_module(modules.UPLOAD)):
        return qs.filter(uploaded_by=user.pk)
    return scope_queryset(
        qs, user, assignee_field="uploaded_by", branch_field="uploaded_by__branch"
    )


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


def upload_batch_latest(
    *, limit: int, among: QuerySet[Any, Any] | None = None
) -> list[dict[str, Any]]:
    """The newest batches as plain dicts (id, file_name, status, total_records, created_at),
    for other apps' overviews (the renewals dashboard). `among` limits them to a subquery
    of batch ids (e.g. the batches of the cases a user may see); scope is the caller's."""
    qs = UploadBatch.objects.all() if among is None else UploadBatch.objects.filter(pk__in=among)
    rows = qs.order_by("-created_at", "-id").values(
        "id", "file_name", "status", "total_records", "created_at"
    )[:limit]
    return [dict(row) for row in rows]
