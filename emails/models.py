"""Shared mailboxes (email_accounts) and the messages synced from them (emails)."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.fields import EncryptedTextField
from intelipro.models import TimeStampedModel


def default_folders() -> list[str]:
    return ["INBOX"]


class EmailAccount(TimeStampedModel):
    """A shared mailbox (support@, renewals@) the team reads over IMAP and answers over SMTP.

    `password_encrypted` is the mailbox password, encrypted at rest; it is write-only in the
    API and never logged. `use_ssl` means implicit TLS (IMAPS, SMTPS on 465); without it the
    connection starts in plain text and upgrades with STARTTLS when the server offers it.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        INACTIVE = "inactive", "Inactive"  # kept, never synced
        ERROR = "error", "Error"  # the last sync failed; `last_error` says why

    name = models.CharField(max_length=100)
    email = models.EmailField(max_length=255, unique=True)
    provider = models.CharField(max_length=50)
    imap_server = models.CharField(max_length=255)
    imap_port = models.PositiveIntegerField()
    smtp_server = models.CharField(max_length=255)
    smtp_port = models.PositiveIntegerField()
    username = models.CharField(max_length=255)
    password_encrypted = EncryptedTextField()
    use_ssl = models.BooleanField(default=True)
    auto_sync = models.BooleanField(default=True)
    sync_interval = models.PositiveIntegerField(default=5, help_text="Minutes between syncs.")
    last_sync = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    # IMAP folders synced (names as the server lists them) and where replies are filed.
    folders = models.JSONField(default=default_folders)
    sent_folder = models.CharField(max_length=255, default="Sent")
    last_error = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        db_table = "email_accounts"
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(sync_interval__gte=1), name="email_account_sync_interval_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class EmailFolderState(models.Model):
    """Where the sync of one IMAP folder of a mailbox stands: the server's UIDVALIDITY and the
    highest UID already stored. A new UIDVALIDITY means the server renumbered the folder:
    the watermark restarts at 0 and dedupe by Message-ID keeps it free of duplicates."""

    account = models.ForeignKey(
        EmailAccount, on_delete=models.CASCADE, related_name="folder_states"
    )
    folder = models.CharField(max_length=255)
    uidvalidity = models.BigIntegerField(default=0)
    last_uid = models.BigIntegerField(default=0)
    synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "folder"], name="email_folder_state_unique")
        ]

    def __str__(self) -> str:
        return f"{self.account_id}:{self.folder} uidvalidity={self.uidvalidity} uid={self.last_uid}"


class Email(TimeStampedModel):
    """One email message, inbound (synced from a mailbox) or outbound (sent by the team).

    A message is one row however many mailboxes received it (`message_id` is unique; a
    message without a Message-ID gets `sha256:<hash of its bytes>`). The raw bytes are kept
    in file storage (`raw_key`); `body_html` is sanitized before it is stored.
    """

    class Status(models.TextChoices):
        NEW = "new", "New"
        IN_PROGRESS = "in_progress", "In progress"
        RESOLVED = "resolved", "Resolved"

    class Priority(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"
        URGENT = "urgent", "Urgent"

    class Direction(models.TextChoices):
        INBOUND = "inbound", "Inbound"
        OUTBOUND = "outbound", "Outbound"

    message_id = models.CharField(max_length=255, unique=True)
    thread_id = models.CharField(max_length=255, blank=True, default="", db_index=True)
    account = models.ForeignKey(
        EmailAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="emails"
    )
    direction = models.CharField(
        max_length=10, choices=Direction.choices, default=Direction.INBOUND
    )
    from_email = models.CharField(max_length=255)
    from_name = models.CharField(max_length=255, blank=True, default="")
    to_email = models.TextField()  # every To address, comma-separated
    cc_emails = models.JSONField(default=list, blank=True)
    bcc_emails = models.JSONField(default=list, blank=True)
    subject = models.TextField(blank=True, default="")
    body_text = models.TextField(blank=True, default="")
    body_html = models.TextField(blank=True, default="")
    attachments = models.JSONField(default=list, blank=True)
    category = models.CharField(max_length=50, blank=True, default="", db_index=True)
    priority = models.CharField(
        max_length=20, choices=Priority.choices, default=Priority.MEDIUM, db_index=True
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.NEW, db_index=True
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_emails",
    )
    sentiment_score = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True)
    sentiment_label = models.CharField(max_length=20, blank=True, default="")
    ai_intent = models.JSONField(null=True, blank=True)
    read_status = models.BooleanField(default=False, db_index=True)
    escalated_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="escalated_emails",
    )
    escalation_reason = models.TextField(blank=True, default="")
    received_at = models.DateTimeField(db_index=True)
    # Threading headers, as received (angle brackets kept), for replies and thread lookup.
    in_reply_to = models.CharField(max_length=255, blank=True, default="")
    references = models.TextField(blank=True, default="")
    # Where the raw RFC 5322 bytes live in the `files` storage, and their SHA-256.
    raw_key = models.CharField(max_length=255, blank=True, default="")
    raw_sha256 = models.CharField(max_length=64, blank=True, default="")
    size_bytes = models.PositiveIntegerField(default=0)
    # Why part of the message could not be read (bad MIME, unknown charset); "" = clean.
    parse_warning = models.CharField(max_length=500, blank=True, default="")
    # Auto-Submitted / X-Auto-Response-Suppress (auto-replies) and Precedence / List-Id
    # (bulk and list mail): flagged, never auto-answered.
    is_auto_reply = models.BooleanField(default=False)
    is_bulk = models.BooleanField(default=False)
    # The renewal case this email is about, and how sure the match is (1.00: the thread's
    # case or a reply to it; lower for a case/policy number found in the subject or body).
    case = models.ForeignKey(
        "renewals.RenewalCase",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="emails",
    )
    case_confidence = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True)
    customer = models.ForeignKey(
        "renewals.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="emails"
    )
    # Normalized subject + the outside party's address: threads mail without headers.
    subject_key = models.CharField(max_length=64, blank=True, default="", db_index=True)

    class Category(models.TextChoices):
        COMPLAINT = "complaint", "Complaint"
        FEEDBACK = "feedback", "Feedback"
        REFUND = "refund", "Refund"
        APPOINTMENT = "appointment", "Appointment"
        RENEWAL_INQUIRY = "renewal_inquiry", "Renewal inquiry"
        PAYMENT = "payment", "Payment"
        CLAIM = "claim", "Claim"
        CANCELLATION = "cancellation", "Cancellation"
        OTHER = "other", "Other"

    class Meta:
        db_table = "emails"
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["account", "received_at"], name="email_account_received")]

    def __str__(self) -> str:
        return f"{self.from_email}: {self.subject[:60]}"
