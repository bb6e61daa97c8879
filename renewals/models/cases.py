"""Renewal cases (the spec's `renewal_cases` table), their timeline and the case-number allocator.

The database enforces the invariants: unique case numbers, at most one open case per policy
term, non-negative amounts and valid status/priority values.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from intelipro.models import TimeStampedModel
from renewals import lifecycle
from renewals.models.policies import Policy


class CaseNumberCounter(models.Model):
    """Allocator state for case numbers on databases without sequences (SQLite).

    On PostgreSQL the sequence `renewals_case_number_seq` is used instead (see
    services.case_numbers_allocate); this table then stays empty.
    """

    name = models.CharField(max_length=50, primary_key=True)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


OPEN_STATUSES = sorted(lifecycle.OPEN_STATUSES)  # sorted: stable migrations


class RenewalCase(TimeStampedModel):
    """One policy term's renewal: the unit of work an agent owns until renewed or closed.

    `renewal_date` is the policy's renewal date for the term this case renews (copied at
    creation): lists sort on it, reminders count down to it, and it identifies the term for
    the "one open case per policy term" rule.
    """

    Status = lifecycle.Status
    Priority = lifecycle.Priority
    LostReason = lifecycle.LostReason

    class PaymentStatus(models.TextChoices):
        PENDING = "pending", "Pending"
        PARTIAL = "partial", "Partially paid"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"
        REFUNDED = "refunded", "Refunded"

    case_number = models.CharField(max_length=100, unique=True)
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="renewal_cases")
    status = models.CharField(max_length=50, choices=Status.choices, default=Status.NEW)
    priority = models.CharField(max_length=20, choices=Priority.choices, default=Priority.MEDIUM)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_cases",
    )
    batch = models.ForeignKey(
        "uploads.UploadBatch",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
    )
    renewal_date = models.DateField()
    renewal_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    # Sum of recorded payments; the case is renewed once it covers renewal_amount.
    amount_paid = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    payment_status = models.CharField(
        max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    payment_method = models.CharField(max_length=50, blank=True)
    payment_date = models.DateTimeField(null=True, blank=True)
    communication_attempts = models.PositiveIntegerField(default=0)
    last_contact_date = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True)
    escalated_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="escalated_cases",
    )
    escalation_reason = models.TextField(blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    lost_reason = models.CharField(max_length=40, choices=LostReason.choices, blank=True)
    lost_reason_detail = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Last time a person did something on the case; auto-escalation looks for stale ones.
    last_activity_at = models.DateTimeField(null=True, blank=True)
    # low=1 .. urgent=4, computed by the database (so bulk inserts need not set it): lets
    # `sort_by=priority` walk an index instead of sorting every row on a CASE expression.
    priority_rank = models.GeneratedField(
        expression=models.Case(
            *[
                models.When(priority=p, then=models.Value(r))
                for p, r in lifecycle.PRIORITY_RANK.items()
            ],
            default=models.Value(0),
        ),
        output_field=models.SmallIntegerField(),
        db_persist=True,
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["policy"], name="idx_renewal_cases_policy"),
            models.Index(fields=["status"], name="idx_renewal_cases_status"),
            models.Index(fields=["batch"], name="idx_renewal_cases_batch"),
            # An agent's list: their cases, newest first / by renewal date.
            models.Index(
                fields=["assigned_to", "-created_at", "-id"], name="idx_cases_assignee_created"
            ),
            models.Index(
                fields=["assigned_to", "status", "-created_at"], name="idx_cases_assignee_status"
            ),
            models.Index(fields=["-created_at", "-id"], name="idx_cases_created"),
            models.Index(fields=["renewal_date", "status"], name="idx_cases_renewal_status"),
            models.Index(fields=["escalated_to"], name="idx_cases_escalated_to"),
            models.Index(
                fields=["-priority_rank", "-created_at", "-id"], name="idx_cases_priority"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "renewal_date"],
                condition=Q(status__in=OPEN_STATUSES),
                name="renewal_cases_one_open_per_term",
                violation_error_code="case_duplicate_open",
                violation_error_message="This policy term already has an open renewal case.",
            ),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in lifecycle.Status]),
                name="renewal_cases_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(priority__in=[p.value for p in lifecycle.Priority]),
                name="renewal_cases_priority_valid",
            ),
            models.CheckConstraint(
                condition=Q(
                    payment_status__in=["pending", "partial", "completed", "failed", "refunded"]
                ),
                name="renewal_cases_payment_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(renewal_amount__isnull=True) | Q(renewal_amount__gte=0),
                name="renewal_cases_amount_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(amount_paid__gte=0), name="renewal_cases_paid_non_negative"
            ),
            models.CheckConstraint(
                condition=~Q(status="lost") | ~Q(lost_reason=""),
                name="renewal_cases_lost_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.case_number


class CaseEvent(models.Model):
    """One entry of a case's timeline: when, who (or the System), what, and old/new values."""

    class Kind(models.TextChoices):
        CREATED = "created", "Case created"
        UPDATED = "updated", "Case updated"
        STATUS_CHANGED = "status_changed", "Status changed"
        ASSIGNED = "assigned", "Case assigned"
        ESCALATED = "escalated", "Case escalated"
        NOTE_ADDED = "note_added", "Note added"
        CONTACT_ATTEMPT = "contact_attempt", "Contact attempt"
        PAYMENT_RECORDED = "payment_recorded", "Payment recorded"
        REMINDER_SENT = "reminder_sent", "Renewal reminder sent"
        LAPSED = "lapsed", "Case lapsed"
        REOPENED = "reopened", "Case reopened"

    case = models.ForeignKey(RenewalCase, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    # Human label shown in the timeline (the spec's "action", e.g. "Case created").
    action = models.CharField(max_length=200)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty when the System did it (scheduled jobs, webhooks, imports).",
    )
    details = models.TextField(blank=True)
    old_value = models.JSONField(null=True, blank=True)
    new_value = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["case", "created_at"], name="idx_case_events_case")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.action}"
