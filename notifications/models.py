"""Notifications: the in-app inbox row, per-user preferences, push subscriptions, deliveries."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.fields import EncryptedCharField
from intelipro.models import TimeStampedModel


class NotificationType(models.TextChoices):
    """What a notification is about. Apps pass one of these values to notification_create."""

    ASSIGNMENT = "assignment", "Assignment"  # a renewal case was assigned to the user
    ESCALATION = "escalation", "Escalation"  # a case was escalated to the user
    UPDATE = "update", "Update"  # something the user follows changed (e.g. a case lapsed)
    SYSTEM = "system", "System"  # operations messages, test notifications
    BATCH = "batch", "Batch"  # batch upload progress and completion
    MENTION = "mention", "Mention"  # someone mentioned the user in a comment
    REMINDER = "reminder", "Reminder"  # a follow-up or due date is near


class NotificationPriority(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"  # bypasses quiet hours and the email digest


class Notification(TimeStampedModel):
    """One message in a user's in-app inbox (the spec's `notifications` table).

    Email and web push are further deliveries of the same row (NotificationDelivery).
    """

    Type = NotificationType
    Priority = NotificationPriority

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    type = models.CharField(max_length=50, choices=NotificationType.choices)
    title = models.CharField(max_length=255)
    message = models.TextField()
    data = models.JSONField(null=True, blank=True)
    read_status = models.BooleanField(default=False)
    read_at = models.DateTimeField(null=True, blank=True)
    priority = models.CharField(
        max_length=20, choices=NotificationPriority.choices, default=NotificationPriority.MEDIUM
    )
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # spec: idx_notifications_user_read; serves the unread count and read_status filter
            models.Index(fields=["user", "read_status"], name="idx_notifications_user_read"),
            # the inbox listing, newest first, and websocket `sync` (created_at > since)
            models.Index(fields=["user", "-created_at", "-id"], name="idx_notifications_user_new"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(read_status=False) | Q(read_at__isnull=False),
                name="notification_read_has_read_at",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.type} to user {self.user_id}: {self.title}"


class NotificationPreference(TimeStampedModel):
    """A user's choices: which channels per type, quiet hours in their time zone, digest mode.

    Users without a row get the defaults (notifications.preferences.DEFAULT_CHANNELS).
    """

    class Digest(models.TextChoices):
        OFF = "off", "Off (one email per notification)"
        HOURLY = "hourly", "Hourly digest"
        DAILY = "daily", "Daily digest"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    # {"assignment": {"in_app": true, "email": true, "push": false}, ...}; missing keys
    # fall back to the defaults, so new types need no data migration.
    channels = models.JSONField(default=dict, blank=True)
    quiet_hours_enabled = models.BooleanField(default=False)
    quiet_hours_start = models.TimeField(null=True, blank=True)
    quiet_hours_end = models.TimeField(null=True, blank=True)
    timezone = models.CharField(max_length=64, default="UTC")
    email_digest = models.CharField(max_length=10, choices=Digest.choices, default=Digest.OFF)

    def __str__(self) -> str:
        return f"Notification preferences of user {self.user_id}"


class PushSubscription(TimeStampedModel):
    """A browser's Web Push subscription (the PushSubscription JSON) for one user."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions"
    )
    endpoint = models.URLField(max_length=2000, unique=True)
    p256dh = models.CharField(max_length=255)  # the browser's public key
    # The subscription's shared secret (RFC 8291 auth secret): encrypted at rest (issue 13).
    auth = EncryptedCharField(max_length=255)
    expiration_time = models.DateTimeField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Push subscription #{self.pk} of user {self.user_id}"


class NotificationDelivery(TimeStampedModel):
    """One attempt-tracked delivery of a notification over email or to one push subscription.

    Unique per (notification, channel[, subscription]) so a task that runs twice finds the row
    and a claim (pending -> sending compare-and-set) lets exactly one runner send.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        PUSH = "push", "Web push"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"  # waiting for its task, quiet hours end or the digest
        SENDING = "sending", "Sending"  # claimed by a task; the send is in flight
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"  # permanent failure or retries exhausted (see error)
        SKIPPED = "skipped", "Skipped"  # nothing to send to (no address, subscription gone)

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    subscription = models.ForeignKey(
        PushSubscription,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliveries",
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    # In the digest: sent with the user's next hourly/daily digest mail, not on its own.
    digest = models.BooleanField(default=False)
    # Earliest send time (end of quiet hours); null means as soon as possible.
    scheduled_for = models.DateTimeField(null=True, blank=True, db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "notification deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "channel"],
                condition=Q(channel="email"),
                name="uniq_notification_email_delivery",
            ),
            models.UniqueConstraint(
                fields=["notification", "subscription"],
                condition=Q(channel="push"),
                name="uniq_notification_push_delivery",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "channel", "digest"], name="idx_delivery_status"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} delivery of notification {self.notification_id}: {self.status}"
