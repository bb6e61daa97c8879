"""The batch status vocabulary is the spec's (issue 13, contract fix): a client that polls
`status` until `completed` or `failed`, and filters `?status=completed`, sees every batch.
Finer state is in `stage` and `has_errors`."""

import pytest
from django.urls import reverse

from tests.uploads.files import csv_bytes, row, rows
from uploads.models import UploadBatch

pytestmark = pytest.mark.django_db

SPEC_STATUSES = {"processing", "completed", "failed", "awaiting_approval", "rejected"}


def _batch_id(response) -> int:
    assert response.status_code == 201, response.content
    return response.json()["data"]["batch_id"]


def _list(client, **params) -> list[dict]:
    response = client.get(reverse("api:uploads:batch-list"), {"limit": 100, **params})
    assert response.status_code == 200, response.content
    return response.json()["data"]["batches"]


def test_a_batch_with_failed_rows_is_completed_with_has_errors(
    post_upload, batch_status, uploader_client, agents
):
    data = rows(5)
    data[1] = row(2, premium_amount="-1")

    batch_id = _batch_id(post_upload(csv_bytes(data)))

    status = batch_status(batch_id)
    assert (status["status"], status["stage"], status["has_errors"]) == (
        "completed",
        "done",
        True,
    )
    assert (status["successful_records"], status["failed_records"]) == (4, 1)
    listed = {b["id"]: b for b in _list(uploader_client)}
    assert (listed[batch_id]["status"], listed[batch_id]["has_errors"]) == ("completed", True)


def test_a_clean_batch_is_completed_without_errors(post_upload, batch_status, agents):
    status = batch_status(_batch_id(post_upload(csv_bytes(rows(3)))))

    assert (status["status"], status["stage"], status["has_errors"]) == (
        "completed",
        "done",
        False,
    )


def test_status_filter_matches_exactly_and_completed_includes_failed_rows(
    post_upload, uploader_client, agents
):
    with_errors = rows(3)
    with_errors[0] = row(1, start_date="bad")
    dirty = _batch_id(post_upload(csv_bytes(with_errors)))
    clean = _batch_id(post_upload(csv_bytes([row(n) for n in range(10, 13)])))

    assert {b["id"] for b in _list(uploader_client, status="completed")} == {dirty, clean}
    assert _list(uploader_client, status="processing") == []
    assert {b["id"] for b in _list(uploader_client, status="completed,failed")} == {dirty, clean}


@pytest.mark.parametrize("old", ["completed_with_errors", "validating", "pending"])
def test_the_old_values_are_not_statuses_any_more(uploader_client, old):
    response = uploader_client.get(reverse("api:uploads:batch-list"), {"status": old})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_awaiting_approval_is_a_status_and_validated_its_stage(
    post_upload, batch_status, agents, settings
):
    settings.UPLOAD_APPROVAL_MAX_CASES = 2

    status = batch_status(_batch_id(post_upload(csv_bytes(rows(3)))))

    assert (status["status"], status["stage"]) == ("awaiting_approval", "validated")


def test_the_openapi_status_enum_is_the_spec_vocabulary(admin_client):
    response = admin_client.get(reverse("api:schema"), {"format": "json"})
    assert response.status_code == 200
    components = response.json()["components"]["schemas"]

    assert set(components["UploadBatchStatusEnum"]["enum"]) == SPEC_STATUSES
    assert set(components["UploadBatchStageEnum"]["enum"]) == set(UploadBatch.Stage.values)
