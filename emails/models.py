"""Shared mailboxes (email_accounts) and the messages synced from them (emails)."""

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
