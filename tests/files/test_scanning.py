"""Virus scanning against a real clamd (started by the session fixture in conftest.py)."""

import io
from datetime import timedelta

import pytest
from django.urls import reverse

from core.models import AuditEvent
from files.models import File, FileBlob, ScanStatus
from files.scanning import ClamAVScanner, EicarScanner
from files.services import file_pending_scans_requeue
from notifications.models import Notification
from tests.files import samples
from tests.files.helpers import file_url, upload
from tests.renewals.factories import RenewalCaseFactory

pytestmark = [pytest.mark.django_db, pytest.mark.service]

CLAMD_SIGNATURE = "Intelipro.Test.EICAR.UNOFFICIAL"


@pytest.fixture
def case(agent_user):
    return RenewalCaseFactory(assigned_to=agent_user)


def test_clamd_detects_eicar_over_unix_socket(clamd_server):
    result = ClamAVScanner(clamd_server.unix_url).scan(io.BytesIO(samples.EICAR))

    assert result.infected
    assert result.signature == CLAMD_SIGNATURE


def test_clamd_detects_eicar_over_tcp(clamd_server):
    result = ClamAVScanner(clamd_server.tcp_url).scan(io.BytesIO(samples.EICAR))

    assert result.infected


def test_clamd_detects_eicar_inside_a_docx(clamd_server):
    docx = samples.docx(extra={"word/media/payload.bin": samples.EICAR})

    result = ClamAVScanner(clamd_server.unix_url).scan(io.BytesIO(docx))

    assert result.infected
    assert result.signature == CLAMD_SIGNATURE


def test_clamd_passes_clean_content(clamd_server):
    result = ClamAVScanner(clamd_server.unix_url).scan(io.BytesIO(samples.pdf()))

    assert result.clean


def test_builtin_check_finds_eicar_inside_a_docx_without_clamd():
    docx = samples.docx(extra={"word/media/payload.bin": samples.EICAR})

    assert EicarScanner().scan(io.BytesIO(docx)).infected


def test_clean_upload_answers_clean_scanned_by_clamav(agent_client, case, clamav):
    response = upload(agent_client, name="notice.pdf", data=samples.pdf(), entity_id=case.pk)

    assert response.status_code == 201
    assert response.json()["data"]["virus_scan_status"] == "clean"
    assert "clamav" in FileBlob.objects.get().scan_engine


@pytest.mark.parametrize(
    ("name", "make"),
    [("eicar.txt", lambda: samples.EICAR), ("letter.docx", lambda: samples.docx(extra={"word/media/x.bin": samples.EICAR}))],
    ids=["plain", "inside-docx"],
)  # fmt: skip
def test_eicar_upload_is_infected_and_never_served(
    agent_client, case, clamav, name, make, admin_user, agent_user
):
    response = upload(agent_client, name=name, data=make(), entity_id=case.pk)

    assert response.status_code == 201
    file_id = response.json()["data"]["id"]
    assert response.json()["data"]["virus_scan_status"] == "infected"
    download = agent_client.get(file_url(file_id, "download"))
    assert download.status_code == 409
    assert download.json()["error"]["code"] == "file_infected"
    assert agent_client.get(f"/api/v1/files/download/{file_id}").status_code == 409
    assert AuditEvent.objects.filter(action="file.infected", object_id=str(file_id)).exists()
    notified = set(Notification.objects.values_list("user_id", flat=True))
    assert {agent_user.pk, admin_user.pk} <= notified


def test_infected_public_file_link_is_refused(agent_client, case, clamav):
    response = upload(
        agent_client, name="e.txt", data=samples.EICAR, entity_id=case.pk, is_public=True
    )

    link = agent_client.get(file_url(response.json()["data"]["id"], "link"))

    assert link.status_code == 409
    assert link.json()["error"]["code"] == "file_infected"


def test_scanner_down_leaves_file_pending_then_scan_completes(
    agent_client, case, settings, clamd_server, tmp_path, django_capture_on_commit_callbacks
):
    settings.CLAMAV_URL = f"unix://{tmp_path / 'no-clamd.sock'}"
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(agent_client, name="notice.pdf", data=samples.pdf(), entity_id=case.pk)
    file_id = response.json()["data"]["id"]

    assert response.json()["data"]["virus_scan_status"] == "pending"
    pending = agent_client.get(file_url(file_id, "download"))
    assert pending.status_code == 409
    assert pending.json()["error"]["code"] == "file_scan_pending"
    assert FileBlob.objects.get().scan_attempts == 1  # the task tried; maintenance retries

    settings.CLAMAV_URL = clamd_server.unix_url
    assert file_pending_scans_requeue(older_than=timedelta(0)) == 1

    assert File.objects.get(pk=file_id).virus_scan_status == ScanStatus.CLEAN
    assert agent_client.get(file_url(file_id, "download")).status_code == 200


def test_pending_download_allowed_by_dev_setting(agent_client, case, settings, tmp_path):
    settings.CLAMAV_URL = f"unix://{tmp_path / 'no-clamd.sock'}"
    settings.FILES_ALLOW_PENDING_DOWNLOADS = True
    response = upload(agent_client, name="notice.pdf", data=samples.pdf(), entity_id=case.pk)

    download = agent_client.get(file_url(response.json()["data"]["id"], "download"))

    assert response.json()["data"]["virus_scan_status"] == "pending"
    assert download.status_code == 200


def test_large_upload_is_scanned_by_the_task(
    agent_client, case, clamav, settings, django_capture_on_commit_callbacks
):
    settings.FILES_SYNC_SCAN_MAX_BYTES = 10
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(agent_client, name="e.txt", data=samples.EICAR, entity_id=case.pk)

    assert response.json()["data"]["virus_scan_status"] == "pending"
    assert File.objects.get().virus_scan_status == ScanStatus.INFECTED


def test_dedupe_keeps_the_scan_verdict(agent_client, case, clamav):
    upload(agent_client, name="e.txt", data=samples.EICAR, entity_id=case.pk)

    again = upload(agent_client, name="again.txt", data=samples.EICAR, entity_id=case.pk)

    assert again.json()["data"]["virus_scan_status"] == "infected"
    assert FileBlob.objects.get().ref_count == 2


def _admin_action(client, action: str, file_id: int):
    return client.post(
        reverse("admin:files_file_changelist"),
        {"action": action, "_selected_action": [file_id]},
    )


def test_admin_quarantine_then_restore(
    admin_web, agent_client, case, django_capture_on_commit_callbacks
):
    file_id = upload(agent_client, name="n.pdf", data=samples.pdf(), entity_id=case.pk).json()[
        "data"
    ]["id"]

    assert _admin_action(admin_web, "quarantine_action", file_id).status_code == 302
    blocked = agent_client.get(file_url(file_id, "download"))
    with django_capture_on_commit_callbacks(execute=True):
        assert _admin_action(admin_web, "restore_action", file_id).status_code == 302

    assert blocked.json()["error"]["code"] == "file_quarantined"
    assert agent_client.get(file_url(file_id, "download")).status_code == 200
    assert AuditEvent.objects.filter(action="file.quarantine").exists()
    assert AuditEvent.objects.filter(action="file.restore").exists()


def test_admin_rescan_uses_the_current_scanner(
    admin_web, agent_client, case, clamav, django_capture_on_commit_callbacks
):
    file_id = upload(agent_client, name="n.pdf", data=samples.pdf(), entity_id=case.pk).json()[
        "data"
    ]["id"]

    with django_capture_on_commit_callbacks(execute=True):
        response = _admin_action(admin_web, "rescan_action", file_id)

    assert response.status_code == 302
    blob = FileBlob.objects.get()
    assert blob.scan_status == ScanStatus.CLEAN
    assert AuditEvent.objects.filter(action="file.rescan").exists()


def test_admin_changelist_renders_with_filters(admin_web, agent_client, case):
    upload(agent_client, name="n.pdf", data=samples.pdf(), entity_id=case.pk)

    response = admin_web.get(
        reverse("admin:files_file_changelist"),
        {"virus_scan_status": "clean", "entity_type": "case"},
    )

    assert response.status_code == 200
    assert b"n.pdf" in response.content


def test_scan_retry_backoff_grows_and_is_capped():
    from files.tasks import SCAN_BACKOFF_MAX_SECONDS, scan_retry_countdown

    delays = [scan_retry_countdown(n) for n in range(8)]

    assert delays[:3] == [10, 20, 40]
    assert delays == sorted(delays)
    assert delays[-1] == SCAN_BACKOFF_MAX_SECONDS
