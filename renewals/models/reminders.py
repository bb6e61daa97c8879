"""Renewal reminders: one per case, window and policy term."""

from django.db import models

from intelipro.models import TimeStampedModel
from renewals.models.cases import RenewalCase


class CaseReminder(TimeStampedModel):
    """A renewal reminder for one case and window (T-30, T-15, ...), created once per term.

    Unique on (case, window_days, renewal_date): the daily job may run twice, a second run
    finds the row and sends nothing. A payment cancels reminders still scheduled.
    """

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        SENT = "sent", "Sent"
        CANCELLED = "cancelled", "Cancelled"  # the case was paid or closed before sending
        SKIPPED = "skipped", "Skipped"  # nobody to tell (no consent, no contact, no assignee)

    case = models.ForeignKey(RenewalCase, on_delete=models.CASCADE, related_name="reminders")
    window_days = models.PositiveIntegerField()
    renewal_date = models.DateField()
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.SCHEDULED, db_index=True
    )
    channel = models.CharField(max_length=20, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    detail = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "window_days", "renewal_date"], name="case_reminders_unique_window"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} T-{self.window_days}"
