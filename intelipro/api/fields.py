"""Serializer fields the API needs beyond DRF's own."""

from typing import Any

from rest_framework import serializers


class StrictCharField(serializers.CharField):
    """A CharField that takes only JSON strings.

    DRF's CharField turns a number into its text (`{"subject": 0}` → "0"); the schema says
    `string`, so a REST client sending a number has a bug worth a 400 (found by the API fuzzer).
    """

    default_error_messages = {"invalid": "Must be a string."}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)
