"""Serializer fields the API needs beyond DRF's own."""

from typing import Any

from django.db import models
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


class StrictBooleanField(serializers.BooleanField):
    """A BooleanField that takes only JSON `true`/`false` (DRF's also reads 1, "yes", "on"...)."""

    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class StrictStringsMixin:
    """For a ModelSerializer that takes input: its generated text fields are StrictCharFields."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.BooleanField: StrictBooleanField,
    }
