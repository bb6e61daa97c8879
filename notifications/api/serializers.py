"""Shapes of the notification endpoints (input validation and output)."""

import zoneinfo
from functools import lru_cache
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from intelipro.api.fields import StrictBooleanField, StrictCharField
from notifications.models import (
    Notification,
    NotificationPreference,
    NotificationType,
    PushSubscription,
)
from notifications.payloads import notification_payload
from notifications.preferences import CHANNELS
from notifications.push_endpoints import PushEndpointRefusedError, push_endpoint_check


class NotificationSerializer(serializers.ModelSerializer):
    """Documents the shape (OpenAPI); the output itself is
    notifications.payloads.notification_payload()."""

    user_id = serializers.IntegerField(read_only=True)

    def to_representation(self, instance: Notification) -> dict[str, Any]:
        return notification_payload(instance)

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
    in_app = StrictBooleanField(required=False)
    email = StrictBooleanField(required=False)
    push = StrictBooleanField(required=False)


@extend_schema_field(
    {"type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9]$", "example": "22:00"}
)
class ClockTimeField(serializers.TimeField):
    """A wall-clock time as `HH:MM`, read and written the same way (the schema says so)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%H:%M", input_formats=["%H:%M"], **kwargs)


class QuietHoursSerializer(serializers.Serializer):
    enabled = StrictBooleanField(required=False)
    start = ClockTimeField(required=False, allow_null=True)
    end = ClockTimeField(required=False, allow_null=True)
    timezone = StrictCharField(required=False, max_length=64)

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
    p256dh = StrictCharField(max_length=255)
    auth = StrictCharField(max_length=255)


class PushSubscriptionInputSerializer(serializers.Serializer):
    """The browser's PushSubscription.toJSON()."""

    endpoint = serializers.URLField(max_length=2000)
    expirationTime = serializers.IntegerField(  # noqa: N815 - the browser's field name
        required=False, allow_null=True, help_text="Milliseconds since the epoch, or null."
    )
    keys = PushSubscriptionKeysSerializer()

    def validate_endpoint(self, value: str) -> str:
        try:
            push_endpoint_check(value)
        except PushEndpointRefusedError as exc:
            raise serializers.ValidationError(str(exc), code="invalid_endpoint") from exc
        except OSError:
            # The lookup failed (DNS down or an unknown name): the host is a known push
            # service, and the address is checked again before every send.
            pass
        return value


class PushSubscriptionDeleteSerializer(serializers.Serializer):
    endpoint = serializers.URLField(max_length=2000)


class PushSubscriptionSerializer(serializers.ModelSerializer):
    class Meta:
        model = PushSubscription
        fields = ["id", "endpoint", "expiration_time", "user_agent", "created_at"]
        read_only_fields = fields


class PushSubscriptionListSerializer(serializers.Serializer):
    vapid_public_key = StrictCharField(allow_blank=True)
    subscriptions = PushSubscriptionSerializer(many=True)


class WebsocketTicketSerializer(serializers.Serializer):
    ticket = StrictCharField(help_text="Open /ws/notifications/?ticket=<ticket> with it.")
    expires_in = serializers.IntegerField(help_text="Seconds the ticket stays valid (once).")
