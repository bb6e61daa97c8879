"""Batch uploads: one insurer file and what became of each of its rows."""

from django.conf import settings
from django.db import models

from intelipro.models import TimeStampedModel


class UploadBatch(TimeStampedModel):
    """One Excel/CSV renewal file uploaded by a manager, and its processing state.

    The spec's `upload_batches` table. Counters are updated after each committed chunk so a
    client can draw a progress bar; `error_log` holds one {row, column, value, error} entry
    per problem, `row` being the data row number as the user sees it (1-based after header).
    `error_log` keeps the first UPLOAD_ERROR_LOG_LIMIT entries (the API shows a capped list
    anyway); `error_count` and the UploadRowError rows are complete.

    Crash safety: `next_row` is the checkpoint, the number of data rows (by position after
    the header) whose effects are committed. It is written in the same transaction as each
    chunk, so a worker killed at any point resumes exactly after the last committed chunk.
    """

    class Status(models.TextChoices):
        """The spec's contract (`processing|completed|failed`) plus maker-checker's two
        states. Clients switch on exactly these values; finer detail is in `stage` and
        `has_errors`."""

        PROCESSING = "processing", "Processing"  # accepted and not finished (see `stage`)
        AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"  # maker-checker
        # Every row was handled; rows that failed are counted in failed_records
        # (has_errors), as in the spec's example of a completed batch with 15 failed rows.
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"  # the file could not be processed at all (retry resumes)
        REJECTED = "rejected", "Rejected"  # a manager rejected it at approval

    class Stage(models.TextChoices):
        """Where a batch is in the pipeline (finer than `status`)."""

        QUEUED = "queued", "Queued"  # stored, waiting for a worker
        # The validation/matching pass of a dry run, or before writes when approval may be
        # needed (maker-checker). Nothing is written but the batch's counters and errors.
        VALIDATING = "validating", "Validating"
        VALIDATED = "validated", "Validated"  # validation done; waiting for approval
        WRITING = "writing", "Writing"  # the write pass
        DONE = "done", "Done"  # nothing more runs (completed, failed or rejected)

    ACTIVE_STATUSES = (Status.PROCESSING,)
    FINAL_STATUSES = (Status.COMPLETED, Status.FAILED, Status.REJECTED)

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
        max_length=30, choices=Status.choices, default=Status.PROCESSING, db_index=True
    )
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.QUEUED)
    file_path = models.CharField(max_length=500, blank=True)
    error_log = models.JSONField(default=list, blank=True)

    dry_run = models.BooleanField(
        default=False, help_text="Validate and match only; nothing is written."
    )
    file_format = models.CharField(max_length=10, blank=True)
    file_size = models.PositiveBigIntegerField(default=0)
    # What the intake checks learned (encoding, delimiter, header row and column positions).
    file_meta = models.JSONField(default=dict, blank=True)
    next_row = models.PositiveIntegerField(default=0, help_text="Checkpoint (see docstring).")
    chunks_committed = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0, help_text="Every problem found.")
    # Counts of new / changed / unchanged customers and policies, new cases, premium moves.
    summary = models.JSONField(default=dict, blank=True)
    analyzed = models.BooleanField(
        default=False, help_text="The validation pass ran and approval (if any) was settled."
    )
    approval_reasons = models.JSONField(default=list, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reviewed_upload_batches",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)
    failure_reason = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0, help_text="Worker runs started.")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Last committed progress; the beat job re-queues active batches silent for too long.
    progress_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "upload batches"
        indexes = [
            models.Index(fields=["status", "progress_at"], name="idx_upload_batches_stuck"),
            models.Index(fields=["uploaded_by", "-created_at"], name="idx_upload_batches_uploader"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.file_name} ({self.status})"

    @property
    def has_errors(self) -> bool:
        """Some rows failed (they are in errors.csv); the batch may still be completed."""
        return self.failed_records > 0

    @property
    def progress_percent(self) -> int:
        if not self.total_records:
            return 100 if self.status in self.FINAL_STATUSES else 0
        return min(100, round(self.processed_records * 100 / self.total_records))


class UploadRowError(models.Model):
    """One rejected row of a batch: its cells as uploaded and every problem found in it.

    Feeds `GET /upload/batch/{id}/errors.csv` (the failed rows plus an `error` column, ready
    to fix and re-upload). Written in the chunk's transaction, so a resumed batch never
    records a row twice (unique on batch and row).
    """

    batch = models.ForeignKey(UploadBatch, on_delete=models.CASCADE, related_name="row_errors")
    row = models.PositiveIntegerField(help_text="Data row number, 1-based after the header.")
    values = models.JSONField(default=list, help_text="The row's cells as text, file order.")
    problems = models.JSONField(default=list, help_text="[{column, value, error}, ...]")

    class Meta:
        ordering = ["batch", "row"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "row"], name="upload_row_errors_batch_row")
        ]

    def __str__(self) -> str:
        return f"batch {self.batch_id} row {self.row}"
