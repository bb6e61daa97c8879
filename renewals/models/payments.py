"""Payments received for renewal cases, and gateway payments kept for reconciliation."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from intelipro.models import TimeStampedModel
from renewals.models.cases import RenewalCase


class Payment(TimeStampedModel):
    """Money received for a renewal case, entered by staff, imported, or sent by the gateway."""

    class Source(models.TextChoices):
        MANUAL = "manual", "Recorded by staff"
        GATEWAY = "gateway", "Payment gateway webhook"
        IMPORT = "import", "Batch import"

    case = models.ForeignKey(RenewalCase, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    method = models.CharField(max_length=50, blank=True)
    # The gateway's or bank's reference. Unique per source: among gateway rows (so a
    # redelivered webhook changes nothing), and per case among staff-entered/imported rows
    # (a reference typed by staff never collides with, nor reveals, another case's payments).
    reference = models.CharField(max_length=120, blank=True)
    paid_at = models.DateTimeField()
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.MANUAL)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-paid_at", "-id"]
        indexes = [models.Index(fields=["case", "paid_at"], name="idx_payments_case")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payments_amount_positive"),
            models.UniqueConstraint(
                fields=["reference"],
                condition=Q(source="gateway") & ~Q(reference=""),
                name="payments_gateway_reference_unique",
            ),
            models.UniqueConstraint(
                fields=["case", "source", "reference"],
                condition=~Q(source="gateway") & ~Q(reference=""),
                name="payments_case_source_reference_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.reference or '(no ref)'}"


class UnmatchedPayment(TimeStampedModel):
    """A gateway payment kept for reconciliation in admin: its event matched no case, or its
    reference is already recorded by the gateway on another case than the event names."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"  # matched to a case by staff
        IGNORED = "ignored", "Ignored"

    reference = models.CharField(max_length=120, unique=True)
    case_reference = models.CharField(
        max_length=120, blank=True, help_text="The case/policy number the gateway sent, if any."
    )
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    method = models.CharField(max_length=50, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    resolved_case = models.ForeignKey(
        RenewalCase, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="unmatched_payments_amount_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.amount}"
