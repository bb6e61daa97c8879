"""The spec's status filter values (all|processing|completed|failed) name outcomes."""

import pytest
from django.urls import reverse

from uploads.models import UploadBatch

pytestmark = pytest.mark.django_db

S = UploadBatch.Status


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("completed", {S.COMPLETED, S.COMPLETED_WITH_ERRORS}),
        ("processing", {S.PENDING, S.VALIDATING, S.PROCESSING}),
        ("failed", {S.FAILED}),
        ("completed_with_errors", {S.COMPLETED_WITH_ERRORS}),
        ("awaiting_approval", {S.AWAITING_APPROVAL}),
    ],
)
def test_status_filter_groups_outcomes(manager_client, manager_user, status, expected):
    for value in S.values:
        UploadBatch.objects.create(file_name=f"{value}.csv", uploaded_by=manager_user, status=value)

    response = manager_client.get(
        reverse("api:uploads:batch-list"), {"status": status, "limit": 100}
    )

    assert {b["status"] for b in response.json()["data"]["batches"]} == expected
