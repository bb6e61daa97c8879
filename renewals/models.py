"""Customers, their policies and the renewal cases agents work on, with timeline and payments.

The spec's `customers`, `policies` and `renewal_cases` tables (branches live in
accounts.Branch). The database enforces the invariants: unique case and policy numbers, at
most one open case per policy term, non-negative amounts and valid status/priority values.
"""

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from intelipro.models import TimeStampedModel
from renewals import lifecycle


class Customer(TimeStampedModel):
    """A policyholder: the person an agent calls about a renewal.

    `communication_preferences` holds per-channel consent and how to reach them, e.g.
    {"consent": {"email": true, "sms": false, "whatsapp": true, "phone": true},
     "preferred_channel": "email", "language": "en",
     "quiet_hours": {"start": "21:00", "end": "08:00"}}.
    """

    class KycStatus(models.TextChoices):
        PENDING = "pending", "Pending"
        VERIFIED = "verified", "Verified"
        REJECTED = "rejected", "Rejected"

    customer_code = models.CharField(max_length=50, unique=True)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField(max_length=255, blank=True, db_index=True)
    phone = models.CharField(max_length=20, blank=True, db_index=True)
    date_of_birth = models.DateField(null=True, blank=True)
    address = models.JSONField(null=True, blank=True)
    kyc_status = models.CharField(
        max_length=20, choices=KycStatus.choices, default=KycStatus.PENDING, db_index=True
    )
    kyc_documents = models.JSONField(null=True, blank=True)
    communication_preferences = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["last_name", "first_name"], name="idx_customers_name")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kyc_status__in=["pending", "verified", "rejected"]),
                name="customers_kyc_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_code} {self.full_name}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def consents_to(self, channel: str) -> bool:
        """Explicit consent only: a missing entry means no (GDPR-style opt-in)."""
        consent = (self.communication_preferences or {}).get("consent") or {}
        return bool(consent.get(channel))


class Policy(TimeStampedModel):
    """An insurance contract of one customer; each term's renewal becomes a RenewalCase."""

    class PolicyType(models.TextChoices):
        AUTO = "auto", "Auto"
        HEALTH = "health", "Health"
        LIFE = "life", "Life"
        HOME = "home", "Home"
        TRAVEL = "travel", "Travel"
        COMMERCIAL = "commercial", "Commercial"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        EXPIRED = "expired", "Expired"  # term ended, renewal still possible within grace
        LAPSED = "lapsed", "Lapsed"  # grace period over without payment
        CANCELLED = "cancelled", "Cancelled"
        RENEWED = "renewed", "Renewed"

    policy_number = models.CharField(max_length=100, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="policies")
    policy_type = models.CharField(max_length=50, choices=PolicyType.choices, db_index=True)
    premium_amount = models.DecimalField(max_digits=12, decimal_places=2)
    start_date = models.DateField()
    end_date = models.DateField()
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    renewal_date = models.DateField(null=True, blank=True, db_index=True)
    # Days after the renewal date during which a late payment still renews (policy wording).
    grace_period_days = models.PositiveIntegerField(default=30)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="policies",
    )
    branch = models.ForeignKey(
        "accounts.Branch",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="policies",
    )

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "policies"
        constraints = [
            models.CheckConstraint(
                condition=Q(premium_amount__gte=0), name="policies_premium_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")),
                name="policies_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["active", "expired", "lapsed", "cancelled", "renewed"]),
                name="policies_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.policy_number

    @property
    def effective_renewal_date(self) -> date:
        return self.renewal_date or self.end_date


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

    @property
    def is_open(self) -> bool:
        return self.status in lifecycle.OPEN_STATUSES


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


class Payment(TimeStampedModel):
    """Money received for a renewal case, entered by staff, imported, or sent by the gateway."""

    class Source(models.TextChoices):
        MANUAL = "manual", "Recorded by staff"
        GATEWAY = "gateway", "Payment gateway webhook"
        IMPORT = "import", "Batch import"

    case = models.ForeignKey(RenewalCase, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    method = models.CharField(max_length=50, blank=True)
    # The gateway's or bank's reference; unique so a redelivered webhook changes nothing.
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
                fields=["reference"], condition=~Q(reference=""), name="payments_reference_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.reference or '(no ref)'}"


class UnmatchedPayment(TimeStampedModel):
    """A gateway payment whose reference matched no case: kept for reconciliation in admin."""

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
