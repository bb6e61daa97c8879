"""Customers: the policyholders agents call about a renewal (the spec's `customers` table)."""

from django.db import models
from django.db.models import Q

from core.fields import (
    EncryptedCharField,
    EncryptedDateField,
    EncryptedEmailField,
    EncryptedJSONField,
    KeyedHashField,
)
from intelipro.models import TimeStampedModel


class Customer(TimeStampedModel):
    """A policyholder: the person an agent calls about a renewal.

    `communication_preferences` holds per-channel consent and how to reach them, e.g.
    {"consent": {"email": true, "sms": false, "whatsapp": true, "phone": true},
     "preferred_channel": "email", "language": "en",
     "quiet_hours": {"start": "21:00", "end": "08:00"}}.

    PII is encrypted at rest (spec: column-level encryption; docs/encryption.md): email, phone,
    date of birth, address and the KYC documents (identity-document numbers). Email and phone
    can only be found by exact match, through `email_hash` / `phone_hash` (HMAC of the
    lowercased email / the E.164 phone, kept by the fields themselves on save and insert).
    Names and the customer code stay plain so search by name keeps working.
    """

    class KycStatus(models.TextChoices):
        PENDING = "pending", "Pending"
        VERIFIED = "verified", "Verified"
        REJECTED = "rejected", "Rejected"

    customer_code = models.CharField(max_length=50, unique=True)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = EncryptedEmailField(max_length=255, blank=True)
    email_hash = KeyedHashField(source="email", normalizer="email")
    phone = EncryptedCharField(max_length=20, blank=True)
    phone_hash = KeyedHashField(source="phone", normalizer="phone")
    date_of_birth = EncryptedDateField(null=True, blank=True)
    address = EncryptedJSONField(null=True, blank=True)
    kyc_status = models.CharField(
        max_length=20, choices=KycStatus.choices, default=KycStatus.PENDING, db_index=True
    )
    kyc_documents = EncryptedJSONField(null=True, blank=True)
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
