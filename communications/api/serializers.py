"""Shapes of the communications API."""

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from rest_framework import serializers

# Channels a customer can consent to: the gate's three, plus phone calls (agents' dialler).
CONSENT_CHANNELS = ("email", "sms", "whatsapp", "phone")
PREFERRED_CHANNELS = CONSENT_CHANNELS
HHMM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


class ChannelConsentSerializer(serializers.Serializer):
    email = serializers.BooleanField(required=False)
    sms = serializers.BooleanField(required=False)
    whatsapp = serializers.BooleanField(required=False)
    phone = serializers.BooleanField(required=False)


class ConsentEvidenceItemSerializer(serializers.Serializer):
    """How and when a customer opted in (or out) on one channel."""

    at = serializers.DateTimeField()
    method = serializers.CharField(max_length=50)  # e.g. "web_form", "sms_keyword", "call"
    # e.g. the form or campaign that asked. DRF's metaclass turns declared fields into
    # `fields`, so this does not shadow Field.source at run time; mypy can't know that.
    source = serializers.CharField(max_length=200)  # type: ignore[assignment]

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        value = super().to_internal_value(data)
        value["at"] = value["at"].isoformat()  # stored in a JSON column
        return value


class ConsentEvidenceSerializer(serializers.Serializer):
    email = ConsentEvidenceItemSerializer(required=False)
    sms = ConsentEvidenceItemSerializer(required=False)
    whatsapp = ConsentEvidenceItemSerializer(required=False)
    phone = ConsentEvidenceItemSerializer(required=False)


class CustomerQuietHoursSerializer(serializers.Serializer):
    """Local wall-clock times in the customer's time zone; the window may span midnight."""

    start = serializers.RegexField(HHMM, help_text="HH:MM, 24-hour")
    end = serializers.RegexField(HHMM, help_text="HH:MM, 24-hour")


class CommunicationPreferencesSerializer(serializers.Serializer):
    """A customer's `communication_preferences` (GET and PUT /customers/{id}/preferences).

    On PUT every key is optional; keys left out keep their value. Turning a channel's consent
    on needs that channel's `consent_evidence` (in the request or already stored).
    """

    consent = ChannelConsentSerializer(required=False)
    consent_evidence = ConsentEvidenceSerializer(required=False)
    preferred_channel = serializers.ChoiceField(
        choices=PREFERRED_CHANNELS, required=False, allow_null=True
    )
    timezone = serializers.CharField(
        max_length=64, required=False, help_text="IANA time zone, e.g. Asia/Kolkata"
    )
    quiet_hours = CustomerQuietHoursSerializer(required=False, allow_null=True)
    language = serializers.CharField(max_length=10, required=False)

    def validate_timezone(self, value: str) -> str:
        # ZoneInfo also opens file paths like "../x"; only names of the IANA database count.
        if value not in available_timezones():
            raise serializers.ValidationError("Not an IANA time zone name.")
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise serializers.ValidationError("Not an IANA time zone name.") from exc
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        stored: dict[str, Any] = self.context.get("stored") or {}
        consent = attrs.get("consent") or {}
        evidence = {
            **(stored.get("consent_evidence") or {}),
            **(attrs.get("consent_evidence") or {}),
        }
        was = stored.get("consent") or {}
        missing = [
            channel
            for channel, on in consent.items()
            if on and not was.get(channel) and channel not in evidence
        ]
        if missing:
            raise serializers.ValidationError(
                {"consent_evidence": dict.fromkeys(missing, "Required to turn consent on.")}
            )
        if "consent" in attrs:
            attrs["consent"] = {**was, **consent}
        if "consent_evidence" in attrs:
            attrs["consent_evidence"] = evidence
        if attrs.get("quiet_hours") is not None:
            attrs["quiet_hours"] = dict(attrs["quiet_hours"])
        return attrs


class SmsSendInputSerializer(serializers.Serializer):
    customer_id = serializers.IntegerField(min_value=1)
    message = serializers.CharField(max_length=1600)  # Twilio's limit for one message body
    case_id = serializers.IntegerField(min_value=1, required=False, allow_null=True)


class CustomerMessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    customer_id = serializers.IntegerField()
    case_id = serializers.IntegerField(allow_null=True)
    channel = serializers.CharField()
    direction = serializers.CharField()
    status = serializers.CharField()
    refusal_reason = serializers.CharField()
    scheduled_for = serializers.DateTimeField(allow_null=True)
    provider_message_id = serializers.CharField()
    provider_error_code = serializers.CharField()
    segments = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
