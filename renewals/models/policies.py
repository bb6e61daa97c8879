"""Policies: one customer's insurance contract (the spec's `policies` table)."""

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q

from intelipro.models import TimeStampedModel
from renewals.models.customers import Customer


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
