"""The one datetime formatter of hand-built payloads writes what DRF's DateTimeField writes."""

import datetime as dt
import zoneinfo

import pytest
from rest_framework import serializers

from core.formats import iso_datetime

KOLKATA = zoneinfo.ZoneInfo("Asia/Kolkata")


@pytest.mark.parametrize(
    "value",
    [
        dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 1, 15, 0, tzinfo=KOLKATA),
        dt.datetime(2026, 3, 1, 9, 30),  # noqa: DTZ001 - naive: read in the current zone, as DRF does
    ],
)
def test_iso_datetime_matches_drf_datetime_field(value):
    assert iso_datetime(value) == serializers.DateTimeField().to_representation(value)


def test_iso_datetime_writes_utc_with_z():
    assert iso_datetime(dt.datetime(2026, 3, 1, 15, 0, tzinfo=KOLKATA)) == "2026-03-01T09:30:00Z"


def test_iso_datetime_of_none_is_none():
    assert iso_datetime(None) is None
