"""Dry run, maker-checker approval, retry, resume after a crash, stuck-batch requeue."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent
from renewals.models import CaseEvent, Customer, Policy, RenewalCase
from tests.uploads.crash import UploadCrashSimulated
from tests.uploads.files import csv_bytes, row, rows
from uploads.models import UploadBatch, UploadRowError
from uploads.services import upload_batch_process, upload_batches_requeue_stuck

pytestmark = pytest.mark.django_db


def _batch_id(response) -> int:
    assert response.status_code == 201, response.content
    return response.json()["data"]["batch_id"]


def _action(client, name: str, batch_id: int, captured, **data):
    url = reverse(f"api:uploads:batch-{name}", kwargs={"pk": batch_id})
    with captured(execute=True):
        return client.post(url, data, format="json")


# --- dry run --------------------------------------------------------------------------------


def test_dry_run_writes_nothing_and_reports_what_would_happen(post_upload, batch_status, agents):
    post_upload(csv_bytes(rows(4)))
    before = (Customer.objects.count(), Policy.objects.count(), RenewalCase.objects.count())
    data = rows(6)
    data[0]["premium_amount"] = "1300.00"  # changed
    data[5] = row(6, start_date="bad")  # error

    status = batch_status(_batch_id(post_upload(csv_bytes(data), dry_run="true")))

    assert (Customer.objects.count(), Policy.objects.count(), RenewalCase.objects.count()) == (
        before
    )
    assert (status["status"], status["has_errors"]) == ("completed", True)
    assert status["dry_run"] is True
    summary = status["summary"]
    assert (summary["policies_new"], summary["policies_changed"]) == (1, 1)
    assert summary["policies_unchanged"] == 3
    assert summary["cases_new"] == 1
    assert status["failed_records"] == 1
    assert status["errors"][0]["row"] == 6


# --- maker-checker --------------------------------------------------------------------------


@pytest.fixture
def awaiting(post_upload, batch_status, agents, settings) -> int:
    """A batch that changes a premium by 100%: it waits for approval."""
    settings.UPLOAD_APPROVAL_PREMIUM_CHANGE_PERCENT = 50
    post_upload(csv_bytes(rows(3)))
    data = rows(3)
    data[1]["premium_amount"] = "2401.00"
    batch_id = _batch_id(post_upload(csv_bytes(data)))
    assert batch_status(batch_id)["status"] == "awaiting_approval"
    return batch_id


def test_big_premium_change_waits_for_approval_without_writing(awaiting, batch_status):
    status = batch_status(awaiting)

    assert status["approval"]["required"] is True
    assert status["approval"]["reasons"][0]["code"] == "premium_change"
    assert Policy.objects.get(policy_number="POL-000002").premium_amount == 1200.50


def test_too_many_cases_wait_for_approval(post_upload, batch_status, agents, settings):
    settings.UPLOAD_APPROVAL_MAX_CASES = 3

    status = batch_status(_batch_id(post_upload(csv_bytes(rows(4)))))

    assert status["status"] == "awaiting_approval"
    assert status["approval"]["reasons"][0]["code"] == "cases_affected"
    assert RenewalCase.objects.count() == 0


def test_another_manager_approves_and_the_batch_is_imported(
    awaiting, approver_client, batch_status, django_capture_on_commit_callbacks
):
    response = _action(
        approver_client, "approve", awaiting, django_capture_on_commit_callbacks, note="ok"
    )

    assert response.status_code == 200
    status = batch_status(awaiting)
    assert status["status"] == "completed"
    assert status["processed_records"] == 3
    assert status["approval"]["note"] == "ok"
    assert Policy.objects.get(policy_number="POL-000002").premium_amount == 2401
    assert AuditEvent.objects.filter(action="upload.batch_approved").count() == 1


def test_uploader_cannot_approve_their_own_batch(
    awaiting, uploader_client, django_capture_on_commit_callbacks
):
    response = _action(uploader_client, "approve", awaiting, django_capture_on_commit_callbacks)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "upload_approval_self"


def test_rejected_batch_writes_nothing(
    awaiting, approver_client, batch_status, django_capture_on_commit_callbacks
):
    response = _action(
        approver_client, "reject", awaiting, django_capture_on_commit_callbacks, reason="wrong"
    )

    assert response.status_code == 200
    assert batch_status(awaiting)["status"] == "rejected"
    assert Policy.objects.get(policy_number="POL-000002").premium_amount == 1200.50


def test_approving_a_completed_batch_is_a_conflict(
    post_upload, approver_client, agents, django_capture_on_commit_callbacks
):
    batch_id = _batch_id(post_upload(csv_bytes(rows(1))))

    response = _action(approver_client, "approve", batch_id, django_capture_on_commit_callbacks)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "upload_batch_invalid_state"


def test_agent_cannot_approve(awaiting, agent_client, django_capture_on_commit_callbacks):
    response = _action(agent_client, "approve", awaiting, django_capture_on_commit_callbacks)

    assert response.status_code == 403


# --- crash safety ---------------------------------------------------------------------------


def _snapshot() -> dict:
    return {
        "customers": sorted(
            Customer.objects.values_list("customer_code", "first_name", "email", "phone")
        ),
        "policies": sorted(
            Policy.objects.values_list(
                "policy_number", "customer__customer_code", "premium_amount", "agent_id"
            )
        ),
        "cases": sorted(
            RenewalCase.objects.values_list(
                "policy__policy_number", "renewal_date", "assigned_to_id", "priority"
            )
        ),
        "events": CaseEvent.objects.count(),
    }


def _batch_result(batch_id: int) -> dict:
    batch = UploadBatch.objects.get(pk=batch_id)
    return {
        "status": batch.status,
        "counts": (
            batch.processed_records,
            batch.successful_records,
            batch.failed_records,
            batch.error_count,
        ),
        "errors": batch.error_log,
        "row_errors": list(
            UploadRowError.objects.filter(batch_id=batch_id).values_list("row", "problems")
        ),
    }


def _crash_file() -> bytes:
    data = rows(23)
    data[3] = row(4, premium_amount="-1")
    data[17] = row(18, customer_email="bad")
    data[20] = row(2)  # duplicate of row 2, detected across chunks
    return csv_bytes(data)


def test_resume_after_a_crash_between_chunks_gives_identical_results(
    post_upload, uploader_client, agents, settings, crash, django_capture_on_commit_callbacks
):
    settings.UPLOAD_CHUNK_SIZE = 5
    content = _crash_file()
    # The uninterrupted run, as reference.
    reference_id = _batch_id(post_upload(content))
    reference = (_snapshot(), _batch_result(reference_id))
    for model in (CaseEvent, RenewalCase, Policy, Customer):
        model.objects.all().delete()

    crash.arm(2)
    with pytest.raises(UploadCrashSimulated):
        post_upload(content)
    crashed = UploadBatch.objects.exclude(pk=reference_id).get()
    assert (crashed.status, crashed.stage, crashed.next_row) == ("processing", "writing", 10)
    assert Policy.objects.count() == 9  # rows 1-10 minus the bad row 4

    crash.disarm()
    response = _action(uploader_client, "retry", crashed.pk, django_capture_on_commit_callbacks)

    assert response.status_code == 200
    assert (_snapshot(), _batch_result(crashed.pk)) == reference


def test_redelivered_task_resumes_and_a_finished_batch_is_left_alone(
    post_upload, agents, settings, crash
):
    settings.UPLOAD_CHUNK_SIZE = 5
    crash.arm(1)
    with pytest.raises(UploadCrashSimulated):
        post_upload(csv_bytes(rows(12)))
    batch = UploadBatch.objects.get()
    crash.disarm()

    assert upload_batch_process(batch_id=batch.pk) == "done"
    assert upload_batch_process(batch_id=batch.pk) == "skipped"

    batch.refresh_from_db()
    assert (batch.status, batch.processed_records, batch.successful_records) == (
        "completed",
        12,
        12,
    )
    assert RenewalCase.objects.count() == 12


def test_retry_of_a_completed_batch_is_a_conflict(
    post_upload, uploader_client, agents, django_capture_on_commit_callbacks
):
    batch_id = _batch_id(post_upload(csv_bytes(rows(1))))

    response = _action(uploader_client, "retry", batch_id, django_capture_on_commit_callbacks)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "upload_batch_invalid_state"


def test_beat_job_requeues_a_stuck_batch(
    post_upload, agents, settings, crash, django_capture_on_commit_callbacks
):
    settings.UPLOAD_CHUNK_SIZE = 5
    crash.arm(1)
    with pytest.raises(UploadCrashSimulated):
        post_upload(csv_bytes(rows(12)))
    crash.disarm()
    UploadBatch.objects.update(progress_at=timezone.now() - timedelta(hours=1))

    with django_capture_on_commit_callbacks(execute=True):
        requeued = upload_batches_requeue_stuck()

    batch = UploadBatch.objects.get()
    assert requeued == [batch.pk]
    assert batch.status == "completed"
    assert RenewalCase.objects.count() == 12


def test_beat_job_leaves_a_batch_with_recent_progress_alone(post_upload, agents, settings, crash):
    settings.UPLOAD_CHUNK_SIZE = 5
    crash.arm(1)
    with pytest.raises(UploadCrashSimulated):
        post_upload(csv_bytes(rows(12)))

    assert upload_batches_requeue_stuck() == []


def test_error_log_keeps_the_first_entries_across_chunks_and_counts_them_all(
    post_upload, batch_status, agents, settings
):
    settings.UPLOAD_CHUNK_SIZE = 2
    settings.UPLOAD_ERROR_LOG_LIMIT = 3
    data = rows(7)
    for n in (2, 3, 5, 6, 7):
        data[n - 1] = row(n, start_date="bad")

    status = batch_status(_batch_id(post_upload(csv_bytes(data))))

    assert (status["failed_records"], status["error_count"]) == (5, 5)
    assert [e["row"] for e in status["errors"]] == [2, 3, 5]
    assert status["errors_truncated"] is True
    batch = UploadBatch.objects.get()
    assert [e["row"] for e in batch.error_log] == [2, 3, 5]
    assert UploadRowError.objects.filter(batch=batch).count() == 5
