"""Formats of values in payloads built by hand (outside DRF serializers), written exactly as
DRF's own fields write them, so every datetime of the API reads the same wherever it was built.
"""

import datetime as dt

from django.utils import timezone


def iso_datetime(value: dt.datetime | None) -> str | None:
    """A datetime as DRF's DateTimeField writes it (DATETIME_FORMAT "iso-8601"): ISO 8601 in
    the current time zone (TIME_ZONE, UTC by default), with "Z" for UTC."""
    if value is None:
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    text = timezone.localtime(value).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text
