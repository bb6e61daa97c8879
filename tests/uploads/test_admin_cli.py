"""The operations console and the CLI go through the same service as the API."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from renewals.models import RenewalCase
from tests.uploads.files import csv_bytes, row, rows, upload
from uploads.models import UploadBatch

pytestmark = pytest.mark.django_db


def test_changelist_shows_progress_and_counts(admin_web, admin_user):
    UploadBatch.objects.create(
        file_name="a.csv",
        uploaded_by=admin_user,
        status="processing",
        total_records=200,
        processed_records=50,
    )

    response = admin_web.get(reverse("admin:uploads_uploadbatch_changelist"))

    assert response.status_code == 200
    assert "25%" in response.content.decode()


def test_admin_upload_form_creates_a_batch_through_the_service(
    admin_web, agents, django_capture_on_commit_callbacks
):
    url = reverse("admin:uploads_uploadbatch_upload")

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_web.post(url, {"file": upload(csv_bytes(rows(3))), "policy_type": "auto"})

    batch = UploadBatch.objects.get()
    assert response.status_code == 302
    assert batch.status == "completed"
    assert RenewalCase.objects.filter(batch=batch).count() == 3


def test_admin_upload_form_shows_the_refusal_code(admin_web):
    response = admin_web.post(
        reverse("admin:uploads_uploadbatch_upload"),
        {"file": upload(b"\x00\x01binary", "x.csv"), "policy_type": "auto"},
    )

    assert response.status_code == 200
    assert "upload_unsupported_type" in response.content.decode()
    assert UploadBatch.objects.count() == 0


def test_admin_detail_shows_the_error_log_and_serves_the_file(
    admin_web, agents, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        admin_web.post(
            reverse("admin:uploads_uploadbatch_upload"),
            {"file": upload(csv_bytes([row(1, premium_amount="-2")])), "policy_type": "auto"},
        )
    batch = UploadBatch.objects.get()

    detail = admin_web.get(reverse("admin:uploads_uploadbatch_change", args=[batch.pk]))
    file = admin_web.get(reverse("admin:uploads_uploadbatch_file", args=[batch.pk]))

    assert "must not be negative" in detail.content.decode()
    assert b"".join(file.streaming_content).startswith(b"policy_number,")


def test_admin_retry_action_resumes_a_failed_batch(
    admin_web, agents, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        admin_web.post(
            reverse("admin:uploads_uploadbatch_upload"),
            {"file": upload(csv_bytes(rows(2))), "policy_type": "auto"},
        )
    batch = UploadBatch.objects.get()
    UploadBatch.objects.filter(pk=batch.pk).update(status="failed")
    RenewalCase.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True):
        admin_web.post(
            reverse("admin:uploads_uploadbatch_changelist"),
            {"action": "retry_batches", "_selected_action": [batch.pk]},
        )

    batch.refresh_from_db()
    assert batch.status == "completed"


def test_cli_imports_a_file(tmp_path, agents, uploader):
    path = tmp_path / "renewals.csv"
    path.write_bytes(csv_bytes(rows(4)))
    out = io.StringIO()

    call_command(
        "import_batch", str(path), "--policy-type", "auto", "--user", uploader.email, stdout=out
    )

    batch = UploadBatch.objects.get()
    assert (batch.status, batch.uploaded_by) == ("completed", uploader)
    assert RenewalCase.objects.count() == 4
    assert "completed" in out.getvalue()


def test_cli_dry_run_writes_nothing(tmp_path, agents):
    path = tmp_path / "renewals.csv"
    path.write_bytes(csv_bytes(rows(4)))

    call_command(
        "import_batch", str(path), "--policy-type", "auto", "--dry-run", stdout=io.StringIO()
    )

    assert UploadBatch.objects.get().summary["policies_new"] == 4
    assert RenewalCase.objects.count() == 0


def test_cli_refuses_a_bad_file(tmp_path):
    path = tmp_path / "renewals.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)

    with pytest.raises(CommandError, match="upload_legacy_xls"):
        call_command("import_batch", str(path), "--policy-type", "auto")
