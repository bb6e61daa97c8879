"""Files: documents attached to cases, policies, customers, claims, emails and batches.

Two tables:

- `FileBlob` is one stored *content* (the dedupe unit): identical bytes uploaded twice are
  stored once, under a random storage key, and `ref_count` counts the live `File` rows that
  point at it. Virus scanning and thumbnails are properties of the content, so they live here.
- `File` is the spec's `files` table: one upload by one user, attached to one entity. Its
  `virus_scan_status` mirrors its blob's (kept in step, set-based, by the services) so lists
  filter on it without a join.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from intelipro.models import TimeStampedModel


class ScanStatus(models.TextChoices):
    PENDING = "pending", "Pending"  # not scanned yet, or the scanner was down (retried)
    CLEAN = "clean", "Clean"
    INFECTED = "infected", "Infected"  # a signature matched: quarantined, never served
    QUARANTINED = "quarantined", "Quarantined"  # withheld by an admin, whatever the scan said
    ERROR = "error", "Scan error"  # the scanner refused this content (e.g. too large); not served


class EntityType(models.TextChoices):
    CASE = "case", "Renewal case"
    POLICY = "policy", "Policy"
    CUSTOMER = "customer", "Customer"
    CLAIM = "claim", "Claim"
    EMAIL = "email", "Email"
    CAMPAIGN = "campaign", "Campaign"
    SURVEY = "survey", "Survey"
    BATCH = "batch", "Upload batch"


class FileBlob(TimeStampedModel):
    """One stored content, shared by every upload of the same bytes (dedupe by sha256).

    `ref_count` is the number of live (not deleted) `File` rows using it; it changes only
    under a row lock. At zero the purge task marks `purge_started_at`, removes the objects
    from storage and sets `purged_at`; a new upload of the same bytes from then on stores a
    new blob (the sha256 is unique among live blobs only).
    """

    class ThumbnailStatus(models.TextChoices):
        NONE = "none", "Not applicable"  # not an image (or PDF) we render
        PENDING = "pending", "Pending"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"  # unreadable, or over the decompression-bomb limit

    sha256 = models.CharField(max_length=64)
    storage_key = models.CharField(max_length=500, unique=True)  # random; never the user's name
    size = models.BigIntegerField()
    mime_type = models.CharField(max_length=100)
    ref_count = models.PositiveIntegerField(default=0)
    scan_status = models.CharField(
        max_length=20, choices=ScanStatus.choices, default=ScanStatus.PENDING, db_index=True
    )
    # Signature name when infected, the scanner's message on error, who quarantined and why.
    scan_detail = models.CharField(max_length=255, blank=True)
    scan_engine = models.CharField(max_length=50, blank=True)  # "clamav", "eicar", "admin"
    scanned_at = models.DateTimeField(null=True, blank=True)
    scan_attempts = models.PositiveIntegerField(default=0)
    thumbnail_key = models.CharField(max_length=500, blank=True)
    thumbnail_status = models.CharField(
        max_length=10, choices=ThumbnailStatus.choices, default=ThumbnailStatus.NONE
    )
    purge_started_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # The objects left storage; the row stays because deleted File rows still point at it.
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["sha256"],
                condition=Q(purge_started_at__isnull=True),
                name="files_blob_sha256_live_uniq",
            ),
            models.CheckConstraint(condition=Q(size__gte=0), name="files_blob_size_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.sha256[:12]} ({self.size} B, {self.ref_count} refs, {self.scan_status})"


class File(TimeStampedModel):
    """One uploaded document attached to a business record (the spec's `files` table).

    `original_name` is what the client sent (control characters removed); `file_name` is
    the sanitized name used in `Content-Disposition`; `file_path` is the storage key of the
    content (random, shared with other uploads of the same bytes). Deleting is soft
    (`deleted_at`); the content leaves storage when its last reference goes.
    """

    ScanStatus = ScanStatus
    EntityType = EntityType

    original_name = models.CharField(max_length=255)
    file_name = models.CharField(max_length=255)
    file_path = models.CharField(max_length=500)  # the blob's storage key
    file_size = models.BigIntegerField()
    mime_type = models.CharField(max_length=100)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="files"
    )
    entity_type = models.CharField(max_length=50, choices=EntityType.choices)
    entity_id = models.PositiveBigIntegerField()
    is_public = models.BooleanField(default=False)
    virus_scan_status = models.CharField(
        max_length=20, choices=ScanStatus.choices, default=ScanStatus.PENDING, db_index=True
    )
    sha256 = models.CharField(max_length=64, db_index=True)
    blob = models.ForeignKey(FileBlob, on_delete=models.PROTECT, related_name="files")
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["entity_type", "entity_id", "created_at"],
                condition=Q(deleted_at__isnull=True),
                name="files_live_entity_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(file_size__gte=0), name="files_file_size_gte_0"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.file_name} ({self.entity_type}:{self.entity_id})"

    @property
    def storage_key(self) -> str:
        return self.file_path
