"""Every state change of an upload batch: create, process, approve, reject, retry, requeue."""

import logging
import os
import uuid
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.text import get_valid_filename

from core.services import audit_log
from uploads import errors
from uploads.models import UploadBatch, UploadRowError
from uploads.readers import file_inspect
from uploads.services.pipeline import Pipeline, PipelineSuperseded
from uploads.validation import MIXED_POLICY_TYPES

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)


# --- files ----------------------------------------------------------------------------------


class _Unclosable:
    """A view of an uploaded file that readers may 'close' without losing it."""

    def __init__(self, handle: IO[bytes]) -> None:
        self._handle = handle

    def __getattr__(self, name: str) -> Any:
        return getattr(self._handle, name)

    def __enter__(self) -> "_Unclosable":
        self._handle.seek(0)
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def close(self) -> None:
        return None

    @property
    def closed(self) -> bool:
        return False

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def writable(self) -> bool:
        return False


def _upload_opener(handle: IO[bytes]) -> Callable[[], Any]:
    return lambda: _Unclosable(handle)


def batch_file_opener(batch: UploadBatch) -> Callable[[], IO[bytes]]:
    """Opens the stored file of a batch (local disk or any Django storage)."""
    name = batch.file_path
    try:
        path = default_storage.path(name)
    except NotImplementedError:  # remote storage (S3): stream through the storage API
        return lambda: default_storage.open(name, "rb")
    return lambda: open(path, "rb")


def policy_types_allowed() -> list[str]:
    from renewals.models import Policy

    return [*Policy.PolicyType.values, MIXED_POLICY_TYPES]


# --- create ---------------------------------------------------------------------------------


def upload_batch_create(
    *,
    file: IO[bytes],
    file_name: str,
    size: int,
    policy_type: str,
    uploaded_by: "User | None",
    dry_run: bool = False,
    enqueue: bool = True,
) -> UploadBatch:
    """Check an uploaded file, store it and create its batch; processing is enqueued.

    Every check (size, real type, macros, encryption, zip bombs, header, row limit) runs
    before anything is stored: a refused file leaves no trace but the error.
    """
    policy_type = (policy_type or "").strip().lower()
    if policy_type not in policy_types_allowed():
        raise errors.UploadFileError(
            "Unknown policy type.",
            code="upload_invalid_policy_type",
            details={"policy_type": policy_type, "allowed": policy_types_allowed()},
        )
    file_name = os.path.basename(file_name or "upload")[:255]
    inspection = file_inspect(opener=_upload_opener(file), file_name=file_name, size=size)
    now = timezone.now()
    safe_name = get_valid_filename(file_name)[-120:] or "upload"
    name = f"{settings.UPLOAD_STORAGE_PREFIX}/{now:%Y/%m}/{uuid.uuid4().hex}/{safe_name}"
    file.seek(0)
    stored = default_storage.save(name, File(file, name=safe_name))
    try:
        with transaction.atomic():
            batch = UploadBatch.objects.create(
                file_name=file_name,
                uploaded_by=uploaded_by,
                policy_type=policy_type,
                total_records=inspection.total_records,
                # The spec's default: the batch is processing from the client's view as soon
                # as it is accepted (a lost enqueue is picked up by the stuck-batch job).
                status=UploadBatch.Status.PROCESSING,
                stage=UploadBatch.Stage.QUEUED,
                file_path=stored,
                dry_run=dry_run,
                file_format=inspection.kind,
                file_size=size,
                file_meta=inspection.as_dict(),
                progress_at=now,
            )
            audit_log(
                action="upload.batch_created",
                actor=uploaded_by,
                obj=batch,
                changes={
                    "file_name": file_name,
                    "total_records": inspection.total_records,
                    "policy_type": policy_type,
                    "dry_run": dry_run,
                },
            )
            if enqueue:
                _enqueue_on_commit(batch.pk)
    except Exception:
        default_storage.delete(stored)
        raise
    return batch


def _enqueue_on_commit(batch_id: int) -> None:
    from uploads.tasks import upload_batch_process_task

    transaction.on_commit(partial(upload_batch_process_task.delay, batch_id=batch_id))


# --- processing -----------------------------------------------------------------------------


def approval_enabled() -> bool:
    return bool(
        settings.UPLOAD_APPROVAL_PREMIUM_CHANGE_PERCENT
        or settings.UPLOAD_APPROVAL_MAX_CASES
        or settings.UPLOAD_APPROVAL_SENSITIVE_CHANGES
    )


# Sensitive changes of existing records (counted by renewals.services.import_rows): any of
# them holds the batch for approval when UPLOAD_APPROVAL_SENSITIVE_CHANGES is on.
SENSITIVE_CHANGES = (
    ("branch_change", "policies_branch_changed", "policies"),
    ("agent_change", "policies_agent_changed", "policies"),
    ("contact_change", "customers_contact_changed", "customers"),
)


def _approval_reasons(summary: dict[str, Any]) -> list[dict[str, Any]]:
    reasons = []
    percent_limit = settings.UPLOAD_APPROVAL_PREMIUM_CHANGE_PERCENT
    max_percent = float(summary.get("premium_change_max_percent", 0))
    if percent_limit and max_percent > percent_limit:
        reasons.append(
            {"code": "premium_change", "max_percent": max_percent, "threshold": percent_limit}
        )
    cases_limit = settings.UPLOAD_APPROVAL_MAX_CASES
    affected = int(summary.get("cases_new", 0)) + int(summary.get("policies_changed", 0))
    if cases_limit and affected > cases_limit:
        reasons.append({"code": "cases_affected", "cases": affected, "threshold": cases_limit})
    if settings.UPLOAD_APPROVAL_SENSITIVE_CHANGES:
        for code, counter, noun in SENSITIVE_CHANGES:
            changed = int(summary.get(counter, 0))
            if changed:
                reasons.append({"code": code, noun: changed})
    return reasons


_RESET_COUNTERS = {
    "next_row": 0,
    "processed_records": 0,
    "successful_records": 0,
    "failed_records": 0,
    "error_count": 0,
    "error_log": [],
    "summary": {},
    "chunks_committed": 0,
}


def _counters_reset(batch: UploadBatch, **extra: Any) -> None:
    """Start a pass from the first row (caller holds the batch lock)."""
    UploadRowError.objects.filter(batch=batch).delete()
    now = timezone.now()
    for name, value in {**_RESET_COUNTERS, **extra, "progress_at": now}.items():
        setattr(batch, name, value)
    batch.save(update_fields=[*_RESET_COUNTERS, *extra, "progress_at", "updated_at"])


def upload_batch_process(
    *, batch_id: int, on_progress: Callable[[UploadBatch], None] | None = None
) -> str:
    """Run a batch from its checkpoint. Safe to call any number of times, concurrently too.

    Returns "done" (reached a final or waiting state), "continue" (time budget used up;
    the caller re-enqueues) or "skipped" (nothing to do, or another run owns the batch).
    """
    with transaction.atomic():
        batch = (
            UploadBatch.objects.select_for_update(of=("self",))
            .select_related("uploaded_by")
            .filter(pk=batch_id)
            .first()
        )
        if batch is None or batch.status != UploadBatch.Status.PROCESSING:
            return "skipped"
        now = timezone.now()
        batch.attempts += 1
        batch.started_at = batch.started_at or now
        batch.progress_at = now
        fields = ["attempts", "started_at", "progress_at", "updated_at"]
        needs_validation = (batch.dry_run or approval_enabled()) and not batch.analyzed
        if needs_validation and batch.stage != UploadBatch.Stage.VALIDATING:
            # A fresh validation pass (it writes nothing but counters): from row 1.
            batch.stage = UploadBatch.Stage.VALIDATING
            batch.save(update_fields=[*fields, "stage"])
            _counters_reset(batch)
        elif needs_validation:
            batch.save(update_fields=fields)  # resumes from its checkpoint
        elif batch.stage != UploadBatch.Stage.WRITING:
            batch.stage = UploadBatch.Stage.WRITING
            batch.save(update_fields=[*fields, "stage"])
        else:
            batch.save(update_fields=fields)
    opener = batch_file_opener(batch)
    try:
        pipeline = Pipeline(
            batch=batch, opener=opener, write=not needs_validation, on_progress=on_progress
        )
        finished = pipeline.run()
    except PipelineSuperseded:
        logger.info("upload batch %s: another run took over", batch_id)
        return "skipped"
    except errors.UploadFileError as exc:
        _batch_fail(batch_id=batch_id, reason=f"{exc.code}: {exc.message}")
        return "done"
    except FileNotFoundError:
        _batch_fail(batch_id=batch_id, reason="The stored file is missing.")
        return "done"
    if not finished:
        return "continue"
    if needs_validation:
        return _validation_finish(batch_id=batch_id, on_progress=on_progress)
    _batch_complete(batch_id=batch_id)
    return "done"


def _validation_finish(*, batch_id: int, on_progress: Callable[[UploadBatch], None] | None) -> str:
    with transaction.atomic():
        batch = UploadBatch.objects.select_for_update().get(pk=batch_id)
        if (
            batch.status != UploadBatch.Status.PROCESSING
            or batch.stage != UploadBatch.Stage.VALIDATING
        ):
            return "skipped"
        if batch.dry_run:
            batch.status = UploadBatch.Status.COMPLETED
            batch.stage = UploadBatch.Stage.DONE
            batch.analyzed = True
            batch.finished_at = timezone.now()
            batch.save(update_fields=["status", "stage", "analyzed", "finished_at", "updated_at"])
            audit_log(
                action="upload.batch_dry_run_completed",
                actor=None,
                obj=batch,
                changes={
                    "status": batch.status,
                    "has_errors": batch.has_errors,
                    "summary": batch.summary,
                },
            )
            _notify_final(batch)
            return "done"
        reasons = _approval_reasons(batch.summary or {})
        if reasons:
            batch.status = UploadBatch.Status.AWAITING_APPROVAL
            batch.stage = UploadBatch.Stage.VALIDATED
            batch.approval_reasons = reasons
            batch.analyzed = True
            batch.save(
                update_fields=["status", "stage", "approval_reasons", "analyzed", "updated_at"]
            )
            audit_log(
                action="upload.batch_awaiting_approval",
                actor=None,
                obj=batch,
                changes={"reasons": reasons, "summary": batch.summary},
            )
            _notify_awaiting_approval(batch)
            return "done"
        batch.analyzed = True
        batch.stage = UploadBatch.Stage.WRITING
        batch.save(update_fields=["analyzed", "stage", "updated_at"])
        _counters_reset(batch)
    return upload_batch_process(batch_id=batch_id, on_progress=on_progress)


def _batch_complete(*, batch_id: int) -> None:
    with transaction.atomic():
        batch = UploadBatch.objects.select_for_update().get(pk=batch_id)
        if (
            batch.status != UploadBatch.Status.PROCESSING
            or batch.stage != UploadBatch.Stage.WRITING
        ):
            return
        batch.status = UploadBatch.Status.COMPLETED
        batch.stage = UploadBatch.Stage.DONE
        batch.finished_at = timezone.now()
        batch.save(update_fields=["status", "stage", "finished_at", "updated_at"])
        audit_log(
            action="upload.batch_completed",
            actor=None,
            obj=batch,
            changes={
                "status": batch.status,
                "has_errors": batch.has_errors,
                "successful_records": batch.successful_records,
                "failed_records": batch.failed_records,
                "summary": {k: v for k, v in batch.summary.items() if k != "round_robin"},
            },
        )
        _notify_final(batch)


def _batch_fail(*, batch_id: int, reason: str) -> None:
    with transaction.atomic():
        batch = UploadBatch.objects.select_for_update().get(pk=batch_id)
        if batch.status not in UploadBatch.ACTIVE_STATUSES:
            return
        batch.status = UploadBatch.Status.FAILED
        batch.stage = UploadBatch.Stage.DONE
        batch.failure_reason = reason[:2000]
        batch.finished_at = timezone.now()
        batch.save(update_fields=["status", "stage", "failure_reason", "finished_at", "updated_at"])
        audit_log(action="upload.batch_failed", actor=None, obj=batch, changes={"reason": reason})
        _notify_final(batch)


def upload_batch_fail(*, batch_id: int, reason: str) -> None:
    """Mark an active batch failed (e.g. an unexpected error); retry resumes it."""
    _batch_fail(batch_id=batch_id, reason=reason)


# --- notifications --------------------------------------------------------------------------


def upload_batch_progress_payload(batch: UploadBatch) -> dict[str, Any]:
    return {
        "batch_id": batch.pk,
        "file_name": batch.file_name,
        "status": batch.status,
        "stage": batch.stage,
        "has_errors": batch.has_errors,
        "total_records": batch.total_records,
        "processed_records": batch.processed_records,
        "successful_records": batch.successful_records,
        "failed_records": batch.failed_records,
        "progress": batch.progress_percent,
    }


def upload_batch_progress_publish(*, batch: UploadBatch) -> None:
    """A transient live event for the uploader's progress bar (after a chunk commits)."""
    if not batch.uploaded_by_id:
        return
    from notifications.services import notification_event_send

    try:
        notification_event_send(
            user_id=batch.uploaded_by_id,
            type="progress",
            data=upload_batch_progress_payload(batch),
        )
    except Exception:  # a lost progress tick must never fail the import
        logger.warning("progress event for batch %s not sent", batch.pk, exc_info=True)


def _notify_final(batch: UploadBatch) -> None:
    if not batch.uploaded_by_id:
        return
    from notifications.services import notification_create

    label = batch.status
    if batch.status == UploadBatch.Status.COMPLETED and batch.has_errors:
        label = "completed with errors"
    kind = "Dry run" if batch.dry_run else "Upload"
    if batch.status == UploadBatch.Status.FAILED:
        message = f"{batch.file_name}: {batch.failure_reason}"
    else:
        message = (
            f"{batch.file_name}: {batch.successful_records} of {batch.total_records} rows "
            f"imported, {batch.failed_records} rejected."
            if not batch.dry_run
            else f"{batch.file_name}: {batch.successful_records} rows valid, "
            f"{batch.failed_records} rejected; nothing was written."
        )
    notification_create(
        user=batch.uploaded_by,
        type="batch",
        title=f"{kind} {label}",
        message=message,
        data=upload_batch_progress_payload(batch),
        priority="high" if batch.status == UploadBatch.Status.FAILED else "medium",
    )


def _notify_awaiting_approval(batch: UploadBatch) -> None:
    from accounts import modules
    from accounts.models import User
    from notifications.services import notification_create

    data = {**upload_batch_progress_payload(batch), "reasons": batch.approval_reasons}
    if batch.uploaded_by_id:
        notification_create(
            user=batch.uploaded_by,
            type="batch",
            title="Upload awaiting approval",
            message=f"{batch.file_name} needs a manager's approval before it is imported.",
            data=data,
        )
    approvers = (
        User.objects.filter(
            status=User.Status.ACTIVE, role__name__in=[modules.ADMIN, modules.MANAGER]
        )
        .exclude(pk=batch.uploaded_by_id)
        .order_by("id")[:50]
    )
    for approver in approvers:
        notification_create(
            user=approver,
            type="batch",
            title="Upload to approve",
            message=f"{batch.file_name} ({batch.total_records} rows) waits for approval.",
            data=data,
            priority="high",
        )


# --- maker-checker, retry, stuck batches ----------------------------------------------------


def _locked(batch_id: int) -> UploadBatch:
    batch = UploadBatch.objects.select_for_update().filter(pk=batch_id).first()
    if batch is None:
        raise errors.DomainError("Batch not found.", code="not_found", status_code=404)
    return batch


def upload_batch_approve(*, batch_id: int, actor: "User", note: str = "") -> UploadBatch:
    """Approve a batch waiting in awaiting_approval: it is imported from the first row."""
    with transaction.atomic():
        batch = _locked(batch_id)
        if batch.status != UploadBatch.Status.AWAITING_APPROVAL:
            raise errors.UploadBatchInvalidStateError(
                details={"status": batch.status, "target": UploadBatch.Status.PROCESSING}
            )
        if batch.uploaded_by_id == actor.pk and not settings.UPLOAD_APPROVAL_ALLOW_SELF:
            raise errors.UploadApprovalSelfError()
        batch.status = UploadBatch.Status.PROCESSING
        batch.stage = UploadBatch.Stage.QUEUED
        batch.reviewed_by = actor
        batch.reviewed_at = timezone.now()
        batch.review_note = note
        batch.save(
            update_fields=[
                "status",
                "stage",
                "reviewed_by",
                "reviewed_at",
                "review_note",
                "updated_at",
            ]
        )
        _counters_reset(batch)
        audit_log(action="upload.batch_approved", actor=actor, obj=batch, changes={"note": note})
        _enqueue_on_commit(batch.pk)
    return batch


def upload_batch_reject(*, batch_id: int, actor: "User", note: str = "") -> UploadBatch:
    """Reject a batch waiting for approval: nothing of it is imported."""
    with transaction.atomic():
        batch = _locked(batch_id)
        if batch.status != UploadBatch.Status.AWAITING_APPROVAL:
            raise errors.UploadBatchInvalidStateError(
                details={"status": batch.status, "target": UploadBatch.Status.REJECTED}
            )
        batch.status = UploadBatch.Status.REJECTED
        batch.stage = UploadBatch.Stage.DONE
        batch.reviewed_by = actor
        batch.reviewed_at = timezone.now()
        batch.review_note = note
        batch.finished_at = batch.reviewed_at
        batch.save(
            update_fields=[
                "status",
                "stage",
                "reviewed_by",
                "reviewed_at",
                "review_note",
                "finished_at",
                "updated_at",
            ]
        )
        audit_log(action="upload.batch_rejected", actor=actor, obj=batch, changes={"note": note})
        if batch.uploaded_by_id:
            from notifications.services import notification_create

            notification_create(
                user=batch.uploaded_by,
                type="batch",
                title="Upload rejected",
                message=f"{batch.file_name} was rejected" + (f": {note}" if note else "."),
                data=upload_batch_progress_payload(batch),
            )
    return batch


RETRYABLE_STATUSES = (UploadBatch.Status.FAILED, UploadBatch.Status.PROCESSING)


def upload_batch_retry(*, batch_id: int, actor: "User | None") -> UploadBatch:
    """Resume a failed or stuck batch from its last committed chunk."""
    with transaction.atomic():
        batch = _locked(batch_id)
        if batch.status not in RETRYABLE_STATUSES:
            raise errors.UploadBatchInvalidStateError(
                details={"status": batch.status, "retryable": list(RETRYABLE_STATUSES)}
            )
        previous = batch.status
        if previous == UploadBatch.Status.FAILED:
            # Resume the pass that failed, from its checkpoint.
            batch.status = UploadBatch.Status.PROCESSING
            batch.stage = (
                UploadBatch.Stage.WRITING
                if batch.analyzed or not (batch.dry_run or approval_enabled())
                else UploadBatch.Stage.VALIDATING
            )
            batch.failure_reason = ""
            batch.finished_at = None
        batch.progress_at = timezone.now()
        batch.save(
            update_fields=[
                "status",
                "stage",
                "failure_reason",
                "finished_at",
                "progress_at",
                "updated_at",
            ]
        )
        audit_log(
            action="upload.batch_retried",
            actor=actor,
            obj=batch,
            changes={
                "from_status": previous,
                "stage": batch.stage,
                "resume_after_row": batch.next_row,
            },
        )
        _enqueue_on_commit(batch.pk)
    return batch


def upload_batches_requeue_stuck() -> list[int]:
    """Re-enqueue active batches without committed progress for UPLOAD_STUCK_MINUTES."""
    cutoff = timezone.now() - timedelta(minutes=settings.UPLOAD_STUCK_MINUTES)
    stuck = list(
        UploadBatch.objects.filter(
            status__in=UploadBatch.ACTIVE_STATUSES, progress_at__lt=cutoff
        ).values_list("id", flat=True)[:100]
    )
    requeued = []
    for batch_id in stuck:
        with transaction.atomic():
            # Compare-and-set: two beat runs never both re-queue the same batch.
            claimed = UploadBatch.objects.filter(
                pk=batch_id, status__in=UploadBatch.ACTIVE_STATUSES, progress_at__lt=cutoff
            ).update(progress_at=timezone.now())
            if not claimed:
                continue
            batch = UploadBatch.objects.get(pk=batch_id)
            audit_log(
                action="upload.batch_requeued",
                actor=None,
                obj=batch,
                changes={
                    "resume_after_row": batch.next_row,
                    "status": batch.status,
                    "stage": batch.stage,
                },
            )
            _enqueue_on_commit(batch_id)
            requeued.append(batch_id)
    return requeued
