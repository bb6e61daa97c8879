"""Shapes of the notification endpoints (input validation and output)."""

import datetime as dt
import zoneinfo
from functools import lru_cache
from typing import Any

from django.utils import timezone
from rest_framework import serializers

from notifications.models import (
    Notification,
    NotificationPreference,
    NotificationType,
    PushSubscription,
)
from notifications.preferences import CHANNELS


def iso_datetime(value: dt.datetime | None) -> str | None:
    """DRF's iso-8601 DateTimeField output: current time zone, "Z" for UTC."""
    if value is None:
        return None
    text = timezone.localtime(value).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def notification_data(n: Notification) -> dict[str, Any]:
    """The notification's JSON shape. Hand-built: a ModelSerializer rebuilds its fields per
    instance (~1.7 ms), which dominated broadcasts to 1,000 users."""
    return {
        "id": n.pk,
        "user_id": n.user_id,
        "type": n.type,
        "title": n.title,
        "message": n.message,
        "data": n.data,
        "priority": n.priority,
        "read_status": n.read_status,
        "read_at": iso_datetime(n.read_at),
        "expires_at": iso_datetime(n.expires_at),
        "created_at": iso_datetime(n.created_at),
    }


class NotificationSerializer(serializers.ModelSerializer):
    """Documents the shape (OpenAPI); the output itself is notification_data()."""

    user_id = serializers.IntegerField(read_only=True)

    def to_representation(self, instance: Notification) -> dict[str, Any]:
        return notification_data(instance)

    class Meta:
        model = Notification
        fields = [
            "id",
            "user_id",
            "type",
            "title",
            "message",
            "data",
            "priority",
            "read_status",
            "read_at",
            "expires_at",
            "created_at",
        ]
        read_only_fields = fields


class NotificationListQuerySerializer(serializers.Serializer):
    read_status = serializers.ChoiceField(
        choices=["all", "read", "unread"], required=False, default="all"
    )
    type = serializers.ChoiceField(
        choices=["all", *NotificationType.values], required=False, default="all"
    )


class MarkAllReadInputSerializer(serializers.Serializer):
    type = serializers.ChoiceField(
        choices=["all", *NotificationType.values],
        required=False,
        default="all",
        help_text="Only notifications of this type (default: all).",
    )


class MarkAllReadOutputSerializer(serializers.Serializer):
    updated_count = serializers.IntegerField()
    unread_count = serializers.IntegerField()


class UnreadCountSerializer(serializers.Serializer):
    unread_count = serializers.IntegerField()
    by_type = serializers.DictField(child=serializers.IntegerField())


class ChannelSwitchesSerializer(serializers.Serializer):
    in_app = serializers.BooleanField(required=False)
    email = serializers.BooleanField(required=False)
    push = serializers.BooleanField(required=False)


class QuietHoursSerializer(serializers.Serializer):
    enabled = serializers.BooleanField(required=False)
    start = serializers.TimeField(required=False, allow_null=True, format="%H:%M")
    end = serializers.TimeField(required=False, allow_null=True, format="%H:%M")
    timezone = serializers.CharField(required=False, max_length=64)

    def validate_timezone(self, value: str) -> str:
        if value not in _zones():
            raise serializers.ValidationError("Unknown IANA time zone.", code="invalid_timezone")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("enabled") and (not attrs.get("start") or not attrs.get("end")):
            # Enabling needs both bounds unless they are already stored (checked in the view
            # against the stored row through `instance`).
            instance = self.parent.instance if self.parent is not None else None
            start = attrs.get("start", getattr(instance, "quiet_hours_start", None))
            end = attrs.get("end", getattr(instance, "quiet_hours_end", None))
            if not start or not end:
                raise serializers.ValidationError(
                    {"start": "Quiet hours need a start and an end."}, code="required"
                )
        start = attrs.get("start")
        if start is not None and start == attrs.get("end"):
            raise serializers.ValidationError(
                {"end": "Quiet hours must end at another time than they start."}, code="invalid"
            )
        return attrs


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


class PreferencesSerializer(serializers.Serializer):
    """GET shape and PUT input: PUT may send any subset; what is left out stays as it was."""

    channels = serializers.DictField(
        child=ChannelSwitchesSerializer(),
        required=False,
        help_text="Per notification type: in_app/email/push on or off.",
    )
    quiet_hours = QuietHoursSerializer(required=False)
    email_digest = serializers.ChoiceField(
        choices=NotificationPreference.Digest.values, required=False
    )
    push_available = serializers.BooleanField(read_only=True)

    def validate_channels(self, value: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(value) - set(NotificationType.values))
        if unknown:
            raise serializers.ValidationError(
                f"Unknown notification type(s): {', '.join(unknown)}.", code="invalid_type"
            )
        for row in value.values():
            if set(row) - set(CHANNELS):  # pragma: no cover - serializer drops unknown keys
                raise serializers.ValidationError("Unknown channel.", code="invalid_channel")
        return value


class PushSubscriptionKeysSerializer(serializers.Serializer):
    p256dh = serializers.CharField(max_length=255)
    auth = serializers.CharField(max_length=255)


class PushSubscriptionInputSerializer(serializers.Serializer):
    """The browser's PushSubscription.toJSON()."""

    endpoint = serializers.URLField(max_length=2000)
    expirationTime = serializers.IntegerField(  # noqa: N815 - the browser's field name
        required=False, allow_null=True, help_text="Milliseconds since the epoch, or null."
    )
    keys = PushSubscriptionKeysSerializer()

    def validate_endpoint(self, value: str) -> str:
        if not value.startswith("https://") and not _allow_http_endpoints():
            raise serializers.ValidationError(
                "Push endpoints must use https.", code="invalid_endpoint"
            )
        return value


def _allow_http_endpoints() -> bool:
    from django.conf import settings

    return bool(getattr(settings, "WEB_PUSH_ALLOW_HTTP_ENDPOINTS", False))


class PushSubscriptionDeleteSerializer(serializers.Serializer):
    endpoint = serializers.URLField(max_length=2000)


class PushSubscriptionSerializer(serializers.ModelSerializer):
    class Meta:
        model = PushSubscription
        fields = ["id", "endpoint", "expiration_time", "user_agent", "created_at"]
        read_only_fields = fields


class PushSubscriptionListSerializer(serializers.Serializer):
    vapid_public_key = serializers.CharField(allow_blank=True)
    subscriptions = PushSubscriptionSerializer(many=True)
