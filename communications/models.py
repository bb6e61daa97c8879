"""Messages to and from customers, and the suppression list the send gate checks."""

from django.db import models
from django.db.models import Q

from core.fields import EncryptedCharField, EncryptedEmailField, EncryptedTextField, KeyedHashField
from intelipro.models import TimeStampedModel


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"
    WHATSAPP = "whatsapp", "WhatsApp"


class Message(TimeStampedModel):
    """One attempt to reach a customer (or one message from them) on one channel.

    Every outbound attempt is a row, refusals included: a send the gate refused has status
    `failed` and its `refusal_reason` (e.g. `consent_missing`), so "why didn't the customer
    get it" is answerable from this table alone. A send deferred by quiet hours is `queued`
    with `scheduled_for` set to the next allowed minute; it is never dropped.
    """

    class Direction(models.TextChoices):
        OUTBOUND = "outbound", "Outbound"
        INBOUND = "inbound", "Inbound"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"  # accepted by the gate, not yet handed to the provider
        SENT = "sent", "Sent"  # the provider accepted it
        DELIVERED = "delivered", "Delivered"
        READ = "read", "Read"
        FAILED = "failed", "Failed"  # refused by the gate, or the provider's error code

    class RefusalReason(models.TextChoices):
        CONSENT_MISSING = "consent_missing", "No consent for this channel"
        NO_ADDRESS = "no_address", "No phone number or email address for this channel"
        SUPPRESSED = "suppressed", "On the suppression list"
        DAILY_CAP_REACHED = "daily_cap_reached", "Daily message cap reached"
        CHANNEL_NOT_CONFIGURED = "channel_not_configured", "Channel not configured"

    customer = models.ForeignKey(
        "renewals.Customer", on_delete=models.PROTECT, related_name="messages"
    )
    case = models.ForeignKey(
        "renewals.RenewalCase",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
    )
    # The campaigns app is not written yet: a plain id, a foreign key once it exists.
    campaign_id = models.PositiveBigIntegerField(null=True, blank=True, db_index=True)
    channel = models.CharField(max_length=20, choices=Channel.choices, db_index=True)
    direction = models.CharField(
        max_length=10, choices=Direction.choices, default=Direction.OUTBOUND, db_index=True
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    refusal_reason = models.CharField(
        max_length=40, choices=RefusalReason.choices, blank=True, default="", db_index=True
    )
    body = EncryptedTextField(blank=True, default="")  # message text is personal data
    template = models.CharField(max_length=100, blank=True, default="")
    variables = models.JSONField(default=dict, blank=True)
    # A reply to the customer's own inbound message of the last 24 hours: not counted by the
    # daily cap (replying to someone who wrote to us is not unsolicited contact).
    is_reply = models.BooleanField(default=False)
    scheduled_for = models.DateTimeField(null=True, blank=True, db_index=True)
    # Set (compare-and-set) by the delivery task that claims the row before calling the
    # provider, so a redelivered task never sends the same message twice.
    dispatched_at = models.DateTimeField(null=True, blank=True)
    provider_message_id = models.CharField(max_length=100, blank=True, default="", db_index=True)
    provider_error_code = models.CharField(max_length=50, blank=True, default="")
    segments = models.PositiveSmallIntegerField(null=True, blank=True)
    cost = models.DecimalField(max_digits=10, decimal_places=4, null=True, blank=True)
    sent_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "direction", "created_at"], name="idx_msg_cust_dir"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__in=["email", "sms", "whatsapp"]), name="messages_channel_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["queued", "sent", "delivered", "read", "failed"]),
                name="messages_status_valid",
            ),
            # A refusal is always a failed row.
            models.CheckConstraint(
                condition=Q(refusal_reason="") | Q(status="failed"),
                name="messages_refusal_is_failed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.direction} #{self.pk} ({self.status})"


class Suppression(TimeStampedModel):
    """A do-not-contact entry: a customer, phone number or email address that must not be
    messaged on a channel (an opt-out, a STOP reply, a hard bounce, an invalid number).

    Phone and email are personal data, encrypted at rest and found by their keyed hashes.
    """

    class Reason(models.TextChoices):
        OPT_OUT = "opt_out", "Opted out"
        STOP = "stop", "STOP reply"
        HARD_BOUNCE = "hard_bounce", "Hard bounce"
        INVALID_NUMBER = "invalid_number", "Invalid number"

    customer = models.ForeignKey(
        "renewals.Customer",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="suppressions",
    )
    phone = EncryptedCharField(max_length=20, blank=True, default="")
    phone_hash = KeyedHashField(source="phone", normalizer="phone")
    email = EncryptedEmailField(max_length=255, blank=True, default="")
    email_hash = KeyedHashField(source="email", normalizer="email")
    channel = models.CharField(max_length=20, choices=Channel.choices, db_index=True)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    source = models.CharField(max_length=100, blank=True, default="")  # e.g. "twilio_inbound"
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__in=["email", "sms", "whatsapp"]),
                name="suppressions_channel_valid",
            ),
            models.CheckConstraint(
                condition=Q(reason__in=["opt_out", "stop", "hard_bounce", "invalid_number"]),
                name="suppressions_reason_valid",
            ),
            # Whom it applies to: a customer, a number or an address.
            models.CheckConstraint(
                condition=Q(customer__isnull=False) | ~Q(phone_hash="") | ~Q(email_hash=""),
                name="suppressions_has_target",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.reason} #{self.pk}"
