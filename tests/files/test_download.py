import datetime as dt
import io

import pytest
from django.utils import timezone
from PIL import Image

from core.models import AuditEvent
from files.models import File, FileBlob
from tests.files import samples
from tests.files.helpers import body, file_url, upload
from tests.renewals.factories import RenewalCaseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(agent_user):
    return RenewalCaseFactory(assigned_to=agent_user)


@pytest.fixture
def uploaded(agent_client, case, django_capture_on_commit_callbacks):
    def make(name="notice.pdf", data=None, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            response = upload(
                agent_client, name=name, data=data or samples.pdf(), entity_id=case.pk, **kwargs
            )
        assert response.status_code == 201, response.json()
        return response.json()["data"]

    return make


def test_download_streams_bytes_with_safe_headers(agent_client, uploaded):
    data = samples.pdf()
    meta = uploaded(name="Renewal notice é.pdf", data=data)

    response = agent_client.get(file_url(meta["id"], "download"))

    assert response.status_code == 200
    assert body(response) == data
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    # Built by Django's content_disposition_header (core.downloads): a non-ASCII name is
    # sent as RFC 5987 filename* only.
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''Renewal%20notice%20%C3%A9.pdf"
    )


def test_download_name_cannot_add_parameters_or_change_type(agent_client, uploaded):
    from email.message import Message

    meta = uploaded(name='a"; filename="evil.html;.pdf', data=samples.pdf())

    response = agent_client.get(file_url(meta["id"], "download"))

    message = Message()
    message["Content-Disposition"] = response["Content-Disposition"]
    params = [name for name, _ in message.get_params(header="content-disposition")]
    assert params == ["attachment", "filename"]
    assert message.get_filename().endswith(".pdf")
    assert response["Content-Type"] == "application/pdf"


def test_download_is_audited(agent_client, uploaded, agent_user):
    meta = uploaded()

    agent_client.get(file_url(meta["id"], "download"))

    assert AuditEvent.objects.filter(action="file.download", actor=agent_user).count() == 1


def test_spec_download_alias_serves_the_file(agent_client, uploaded):
    meta = uploaded(data=samples.pdf())

    response = agent_client.get(f"/api/v1/files/download/{meta['id']}")

    assert response.status_code == 200


def test_agent_cannot_fetch_another_agents_case_document(uploaded, client_for):
    from tests.accounts.factories import UserFactory

    meta = uploaded()
    other = client_for(UserFactory(role="agent"))

    assert other.get(file_url(meta["id"])).status_code == 404
    response = other.get(file_url(meta["id"], "download"))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert other.get(f"/api/v1/files/download/{meta['id']}").status_code == 404


def test_manager_sees_case_documents(manager_client, uploaded):
    meta = uploaded()

    response = manager_client.get(file_url(meta["id"]))

    assert response.status_code == 200
    assert response.json()["data"]["id"] == meta["id"]


def test_metadata_shape(agent_client, uploaded, agent_user):
    meta = uploaded(name="notice.pdf")

    data = agent_client.get(file_url(meta["id"])).json()["data"]

    assert data["name"] == "notice.pdf"
    assert data["original_name"] == "notice.pdf"
    assert data["url"] == f"/api/v1/files/{meta['id']}/download"
    assert data["uploaded_by"] == agent_user.pk
    assert data["uploader"]["email"] == agent_user.email
    assert data["is_public"] is False
    assert data["uploaded_at"]


def test_list_filters_by_entity_and_paginates(
    agent_client, case, uploaded, django_assert_max_num_queries
):
    uploaded(name="a.txt", data=b"first note\n")
    uploaded(name="b.txt", data=b"second note\n")
    other_case = RenewalCaseFactory(assigned_to=case.assigned_to)
    with_other = upload(agent_client, name="c.txt", data=b"third\n", entity_id=other_case.pk)
    assert with_other.status_code == 201

    with django_assert_max_num_queries(6):
        response = agent_client.get(
            "/api/v1/files", {"entity_type": "case", "entity_id": case.pk, "limit": 1}
        )

    payload = response.json()["data"]
    assert [f["name"] for f in payload["files"]] == ["a.txt"]
    assert payload["pagination"] == {
        "current_page": 1,
        "total_pages": 2,
        "total_records": 2,
        "per_page": 1,
    }


def test_list_hides_files_of_records_out_of_scope(uploaded, client_for):
    from tests.accounts.factories import UserFactory

    uploaded()
    other = client_for(UserFactory(role="agent"))

    response = other.get("/api/v1/files")

    assert response.json()["data"]["files"] == []


def test_list_rejects_unknown_entity_type(agent_client):
    response = agent_client.get("/api/v1/files", {"entity_type": "planet"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_soft_deleted_file_answers_404(agent_client, uploaded):
    meta = uploaded()

    deleted = agent_client.delete(file_url(meta["id"]))
    response = agent_client.get(file_url(meta["id"], "download"))

    assert deleted.status_code == 204
    assert response.status_code == 404
    file = File.objects.get(pk=meta["id"])
    assert file.deleted_at is not None
    assert AuditEvent.objects.filter(action="file.delete", object_id=str(file.pk)).exists()


def test_delete_of_last_reference_purges_storage(
    agent_client, uploaded, files_media, django_capture_on_commit_callbacks
):
    meta = uploaded()
    path = files_media / File.objects.get(pk=meta["id"]).file_path
    assert path.exists()

    with django_capture_on_commit_callbacks(execute=True):
        agent_client.delete(file_url(meta["id"]))

    assert not path.exists()
    blob = FileBlob.objects.get()
    assert blob.purged_at is not None
    assert blob.ref_count == 0


def test_delete_keeps_content_still_referenced(
    agent_client, uploaded, files_media, django_capture_on_commit_callbacks
):
    data = samples.pdf()
    first = uploaded(name="a.pdf", data=data)
    second = uploaded(name="b.pdf", data=data)

    with django_capture_on_commit_callbacks(execute=True):
        agent_client.delete(file_url(first["id"]))

    response = agent_client.get(file_url(second["id"], "download"))
    assert response.status_code == 200
    assert body(response) == data
    assert FileBlob.objects.get().ref_count == 1


def test_agent_cannot_delete_a_colleagues_upload_on_a_shared_case(
    manager_client, agent_client, case
):
    response = upload(manager_client, name="m.txt", data=b"manager note\n", entity_id=case.pk)

    deleted = agent_client.delete(file_url(response.json()["data"]["id"]))

    assert deleted.status_code == 403
    assert deleted.json()["error"]["code"] == "file_delete_forbidden"


def test_thumbnail_of_jpeg(agent_client, uploaded, settings):
    settings.FILES_THUMBNAIL_SIZE = 100
    meta = uploaded(name="photo.jpg", data=samples.jpeg((800, 600)))

    response = agent_client.get(file_url(meta["id"], "thumbnail"))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    thumb = Image.open(io.BytesIO(body(response)))
    assert thumb.size == (100, 75)
    assert agent_client.get(file_url(meta["id"])).json()["data"]["thumbnail_url"]


def test_thumbnail_of_pdf_first_page(agent_client, uploaded, settings):
    settings.FILES_THUMBNAIL_SIZE = 120
    meta = uploaded(name="notice.pdf", data=samples.pdf(pages=3))

    response = agent_client.get(file_url(meta["id"], "thumbnail"))

    assert response.status_code == 200
    thumb = Image.open(io.BytesIO(body(response)))
    assert max(thumb.size) == 120


def test_thumbnail_refuses_decompression_bomb(agent_client, uploaded, settings):
    settings.FILES_THUMBNAIL_MAX_PIXELS = 1000
    meta = uploaded(name="big.png", data=samples.image("PNG", size=(64, 48)))

    response = agent_client.get(file_url(meta["id"], "thumbnail"))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "thumbnail_not_available"
    assert FileBlob.objects.get().thumbnail_status == FileBlob.ThumbnailStatus.FAILED


def test_no_thumbnail_for_documents(agent_client, uploaded):
    meta = uploaded(name="letter.docx", data=samples.docx())

    response = agent_client.get(file_url(meta["id"], "thumbnail"))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "thumbnail_not_available"


def test_link_for_private_file_is_refused(agent_client, uploaded):
    meta = uploaded()

    response = agent_client.get(file_url(meta["id"], "link"))

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "file_not_public"


def test_signed_link_serves_public_file_without_login(agent_client, api_client, uploaded):
    data = samples.pdf()
    meta = uploaded(data=data, is_public=True)

    link = agent_client.get(file_url(meta["id"], "link")).json()["data"]
    response = api_client.get(link["url"])

    assert link["url"].startswith("http://testserver/api/v1/files/public/")
    assert 15 * 60 - 5 <= link["expires_in"] <= 15 * 60
    assert response.status_code == 200
    assert body(response) == data
    assert response["Content-Disposition"].startswith("attachment;")


def test_signed_link_expires(agent_client, api_client, uploaded, monkeypatch):
    meta = uploaded(is_public=True)
    url = agent_client.get(file_url(meta["id"], "link")).json()["data"]["url"]
    later = timezone.now() + dt.timedelta(minutes=16)
    monkeypatch.setattr(timezone, "now", lambda: later)

    response = api_client.get(url)

    assert response.status_code == 410
    assert response.json()["error"]["code"] == "file_link_expired"


def test_tampered_link_is_invalid(agent_client, api_client, uploaded):
    meta = uploaded(is_public=True)
    url = agent_client.get(file_url(meta["id"], "link")).json()["data"]["url"]

    response = api_client.get(url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB"))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "file_link_invalid"


def test_link_of_deleted_file_stops_working(agent_client, api_client, uploaded):
    meta = uploaded(is_public=True)
    url = agent_client.get(file_url(meta["id"], "link")).json()["data"]["url"]
    agent_client.delete(file_url(meta["id"]))

    response = api_client.get(url)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "file_link_invalid"
