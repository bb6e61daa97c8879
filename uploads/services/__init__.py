"""Every write of uploads. Import from here: `from uploads.services import upload_batch_create`."""

from uploads.services.batches import (
    batch_file_opener,
    policy_types_allowed,
    upload_batch_approve,
    upload_batch_create,
    upload_batch_fail,
    upload_batch_process,
    upload_batch_progress_payload,
    upload_batch_reject,
    upload_batch_retry,
    upload_batches_requeue_stuck,
)

__all__ = [
    "batch_file_opener",
    "policy_types_allowed",
    "upload_batch_approve",
    "upload_batch_create",
    "upload_batch_fail",
    "upload_batch_process",
    "upload_batch_progress_payload",
    "upload_batch_reject",
    "upload_batch_retry",
    "upload_batches_requeue_stuck",
]
