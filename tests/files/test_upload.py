import hashlib

import pytest

from core.models import AuditEvent
from files.models import File, FileBlob
from tests.files import samples
from tests.files.helpers import UPLOAD_URL, upload
from tests.renewals.factories import RenewalCaseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(agent_user):
    return RenewalCaseFactory(assigned_to=agent_user)


ACCEPTED = [
    ("notice.pdf", samples.pdf, "application/pdf"),
    ("photo.png", lambda: samples.image("PNG"), "image/png"),
    ("photo.jpg", samples.jpeg, "image/jpeg"),
    ("photo.jpeg", samples.jpeg, "image/jpeg"),
    ("anim.gif", lambda: samples.image("GIF"), "image/gif"),
    ("photo.webp", lambda: samples.image("WEBP"), "image/webp"),
    ("letter.docx", samples.docx, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("sheet.xlsx", samples.xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("policies.csv", lambda: samples.CSV, "text/csv"),
    ("notes.txt", lambda: samples.TXT, "text/plain"),
    ("mail.eml", samples.eml, "message/rfc822"),
    ("mail.msg", samples.msg, "application/vnd.ms-outlook"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "make", "mime"), ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_upload_accepts_allowed_type(agent_client, case, name, make, mime):
    data = make()

    response = upload(agent_client, name=name, data=data, entity_id=case.pk)

    assert response.status_code == 201, response.json()
    payload = response.json()["data"]
    assert payload["mime_type"] == mime
    assert payload["file_name"] == name
    assert payload["file_size"] == len(data)
    assert payload["sha256"] == hashlib.sha256(data).hexdigest()
    assert payload["entity_type"] == "case"
    assert payload["entity_id"] == case.pk
    assert payload["virus_scan_status"] == "clean"


REJECTED = [
    ("spoofed.pdf", lambda: samples.image("PNG"), "file_extension_mismatch"),
    ("invoice.pdf", samples.exe, "file_type_not_allowed"),
    ("page.html", lambda: samples.HTML, "file_type_not_allowed"),
    ("page.txt", lambda: samples.HTML, "file_type_not_allowed"),
    ("logo.svg", lambda: samples.SVG, "file_type_not_allowed"),
    ("logo.png", lambda: samples.SVG, "file_type_not_allowed"),
    ("run.txt", lambda: samples.SHELL, "file_type_not_allowed"),
    ("budget.xlsm", samples.xlsm, "file_macro_enabled"),
    ("budget.xlsx", samples.xlsm, "file_macro_enabled"),
    ("letter.docx", lambda: samples.docx(extra={"word/vbaProject.bin": b"\x00" * 64}), "file_macro_enabled"),
    ("letter.docx", lambda: samples.docx(extra={"word/activeX/activeX1.xml": b"<ax/>"}), "file_macro_enabled"),
    ("archive.zip", samples.plain_zip, "file_type_not_allowed"),
    ("archive.docx", samples.plain_zip, "file_type_not_allowed"),
    ("empty.pdf", lambda: b"", "file_empty"),
    ("invoice.pdf.exe", samples.pdf, "file_double_extension"),
    ("invoice.exe.pdf", samples.pdf, "file_double_extension"),
    ("photo.jpg", lambda: samples.jpeg() + samples.plain_zip(), "file_polyglot"),
    ("notice.pdf", lambda: samples.pdf() + samples.plain_zip(), "file_polyglot"),
    ("photo.jpg", lambda: samples.jpeg()[:20] + b"<script>alert(1)</script>" + samples.jpeg()[20:], "file_polyglot"),
    ("noext", samples.pdf, "file_extension_mismatch"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "make", "code"), REJECTED, ids=[f"{r[0]}-{r[2]}" for r in REJECTED]
)
def test_upload_rejects_dangerous_content(agent_client, case, name, make, code):
    response = upload(agent_client, name=name, data=make(), entity_id=case.pk)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert not File.objects.exists()
    assert not FileBlob.objects.exists()


def test_upload_over_size_limit_answers_413(agent_client, case, settings):
    settings.FILES_MAX_UPLOAD_BYTES = 1000

    response = upload(agent_client, name="big.txt", data=b"a" * 1001 + b"\n", entity_id=case.pk)

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "file_too_large"
    assert not File.objects.exists()


def test_upload_over_limit_by_content_length_is_refused_before_reading(
    agent_client, case, settings
):
    settings.FILES_MAX_UPLOAD_BYTES = 10_000

    response = upload(agent_client, name="big.txt", data=b"a" * 200_000, entity_id=case.pk)

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "file_too_large"
    assert response.json()["error"]["details"]["max_bytes"] == 10_000


def test_upload_at_size_limit_is_accepted(agent_client, case, settings):
    settings.FILES_MAX_UPLOAD_BYTES = 1000

    response = upload(agent_client, name="edge.txt", data=b"a" * 999 + b"\n", entity_id=case.pk)

    assert response.status_code == 201


def test_upload_without_file_is_refused(agent_client, case):
    response = agent_client.post(
        UPLOAD_URL, {"entity_type": "case", "entity_id": case.pk}, format="multipart"
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "file_required"


def test_upload_sanitizes_file_name(agent_client, case):
    response = upload(
        agent_client, name="..\\..\\etc/re\u202enew\x07al .txt", data=samples.TXT, entity_id=case.pk
    )

    assert response.status_code == 201
    payload = response.json()["data"]
    assert payload["file_name"] == "renewal.txt"
    assert "/" not in payload["file_name"]
    assert "\\" not in payload["file_name"]
    assert "\u202e" not in payload["file_name"]
    assert "\x07" not in payload["file_name"]
    stored = File.objects.get()
    assert stored.file_path.startswith("files/")
    assert "renew" not in stored.file_path


def test_upload_to_missing_case_answers_entity_not_found(agent_client):
    response = upload(agent_client, name="a.txt", data=samples.TXT, entity_id=999_999)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "entity_not_found"


def test_upload_to_another_agents_case_answers_entity_not_found(agent_client):
    other_case = RenewalCaseFactory()

    response = upload(agent_client, name="a.txt", data=samples.TXT, entity_id=other_case.pk)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "entity_not_found"


@pytest.mark.parametrize("entity_type", ["claim", "email", "campaign", "survey"])
def test_upload_to_entity_of_app_not_built_yet_answers_entity_not_found(admin_client, entity_type):
    response = upload(
        admin_client, name="a.txt", data=samples.TXT, entity_type=entity_type, entity_id=1
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "entity_not_found"


def test_upload_with_unknown_entity_type_is_a_validation_error(admin_client):
    response = upload(
        admin_client, name="a.txt", data=samples.TXT, entity_type="planet", entity_id=1
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_upload_to_batch_by_its_uploader(manager_user, client_for):
    from uploads.models import UploadBatch

    batch = UploadBatch.objects.create(file_name="b.xlsx", uploaded_by=manager_user)

    response = upload(
        client_for(manager_user),
        name="b.xlsx",
        data=samples.xlsx(),
        entity_type="batch",
        entity_id=batch.pk,
    )

    assert response.status_code == 201


def test_upload_by_viewer_is_forbidden(viewer_client, viewer_user):
    case = RenewalCaseFactory(assigned_to=viewer_user)

    response = upload(viewer_client, name="a.txt", data=samples.TXT, entity_id=case.pk)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "file_upload_forbidden"


def test_upload_requires_authentication(api_client, case):
    response = upload(api_client, name="a.txt", data=samples.TXT, entity_id=case.pk)

    assert response.status_code == 401


def test_uploads_are_throttled_per_user(agent_client, case, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "upload": "2/h"}

    codes = [
        upload(
            agent_client, name=f"n{i}.txt", data=samples.TXT + bytes([65 + i]), entity_id=case.pk
        ).status_code
        for i in range(3)
    ]

    assert codes == [201, 201, 429]


def test_upload_is_audited(agent_client, case, agent_user):
    response = upload(agent_client, name="a.txt", data=samples.TXT, entity_id=case.pk)

    event = AuditEvent.objects.get(action="file.upload")
    assert event.actor == agent_user
    assert event.object_id == str(response.json()["data"]["id"])


def test_identical_content_is_stored_once(agent_client, case, files_media):
    data = samples.pdf()
    first = upload(agent_client, name="a.pdf", data=data, entity_id=case.pk)
    second = upload(agent_client, name="copy.pdf", data=data, entity_id=case.pk)

    assert first.status_code == second.status_code == 201
    assert File.objects.count() == 2
    blob = FileBlob.objects.get()
    assert blob.ref_count == 2
    stored = [p for p in (files_media / "files").rglob("*") if p.is_file()]
    assert len(stored) == 1
