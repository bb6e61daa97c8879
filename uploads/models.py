"""Batch uploads: one insurer file and what became of each of its rows."""

from django.conf import settings
from django.db import models

from intelipro.models import TimeStampedModel


class UploadBatch(TimeStampedModel):
    """One Excel/CSV renewal file uploaded by a manager, and its processing state.

    The spec's `upload_batches` table. Counters are updated after each committed chunk so a
    client can draw a progress bar; `error_log` holds one {row, column, value, error} entry
    per problem, `row` being the data row number as the user sees it (1-based after header).
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"  # stored, waiting for a worker
        VALIDATING = "validating", "Validating"
        AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"  # maker-checker
        PROCESSING = "processing", "Processing"
        COMPLETED = "completed", "Completed"
        COMPLETED_WITH_ERRORS = "completed_with_errors", "Completed with errors"
        FAILED = "failed", "Failed"  # the file could not be read at all
        REJECTED = "rejected", "Rejected"  # a manager rejected it at approval

    file_name = models.CharField(max_length=255)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="upload_batches"
    )
    policy_type = models.CharField(max_length=50, blank=True)
    total_records = models.PositiveIntegerField(default=0)
    processed_records = models.PositiveIntegerField(default=0)
    successful_records = models.PositiveIntegerField(default=0)
    failed_records = models.PositiveIntegerField(default=0)
    status = models.CharField(
        max_length=30, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    file_path = models.CharField(max_length=500, blank=True)
    error_log = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "upload batches"

    def __str__(self) -> str:
        return f"#{self.pk} {self.file_name} ({self.status})"
