"""/ai/knowledge: documents in markdown, text and PDF, indexed on save, searchable by query."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from ai_assistant.models import KnowledgeChunk, KnowledgeDocument
from ai_assistant.services import knowledge_document_index
from core.models import AuditEvent

pytestmark = pytest.mark.django_db

LIST_URL = reverse("api:ai:knowledge-list")


def detail_url(pk: int) -> str:
    return reverse("api:ai:knowledge-detail", kwargs={"pk": pk})


def pdf_with_text(text: str) -> bytes:
    """A minimal one-page PDF whose content stream shows `text` (Helvetica)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def test_manager_adds_a_markdown_document_that_is_indexed_and_searchable(
    manager_client, django_capture_on_commit_callbacks
):
    content = "# Motor renewals\n\n## Telematics\n\nOffer the telematics discount to safe drivers."

    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(
            LIST_URL, {"title": "Motor playbook", "content": content}, format="json"
        )

    assert response.status_code == 201
    document = KnowledgeDocument.objects.get(pk=response.json()["data"]["id"])
    assert document.status == "indexed"
    assert document.chunk_count == 1
    chunk = KnowledgeChunk.objects.get(document=document)
    assert chunk.heading == "Telematics"
    answer = manager_client.post(
        reverse("api:ai:query"), {"query": "telematics discount"}, format="json"
    ).json()["data"]
    assert answer["sources"][0]["title"] == "Motor playbook"
    assert "Offer the telematics discount to safe drivers." in answer["response"]
    assert AuditEvent.objects.filter(action="ai_knowledge.created").exists()


def test_pdf_upload_is_extracted_with_pypdf(manager_client, django_capture_on_commit_callbacks):
    upload = SimpleUploadedFile(
        "lapse-rules.pdf",
        pdf_with_text("Lapsed health policies restart waiting periods."),
        content_type="application/pdf",
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(LIST_URL, {"file": upload}, format="multipart")

    assert response.status_code == 201
    data = response.json()["data"]
    assert data["doc_type"] == "pdf"
    assert data["title"] == "lapse-rules"
    assert "Lapsed health policies restart waiting periods." in data["content"]
    assert KnowledgeDocument.objects.get(pk=data["id"]).status == "indexed"


def test_text_upload_is_accepted(manager_client):
    upload = SimpleUploadedFile("notes.txt", b"Call before T-15.", content_type="text/plain")

    response = manager_client.post(LIST_URL, {"file": upload, "title": "Notes"}, format="multipart")

    assert response.status_code == 201
    assert response.json()["data"]["doc_type"] == "text"


def test_a_broken_pdf_is_refused(manager_client):
    upload = SimpleUploadedFile("x.pdf", b"%PDF-1.4 garbage", content_type="application/pdf")

    response = manager_client.post(LIST_URL, {"file": upload}, format="multipart")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "knowledge_document_invalid"


def test_an_unknown_file_type_is_refused(manager_client):
    upload = SimpleUploadedFile("x.exe", b"MZ", content_type="application/octet-stream")

    response = manager_client.post(LIST_URL, {"file": upload}, format="multipart")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "knowledge_document_invalid"


def test_a_document_over_the_size_limit_is_refused(manager_client, settings):
    settings.AI_KNOWLEDGE_MAX_BYTES = 100

    response = manager_client.post(LIST_URL, {"title": "Big", "content": "x" * 101}, format="json")

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "knowledge_document_too_large"


def test_agent_reads_but_may_not_write(agent_client, knowledge):
    listed = agent_client.get(LIST_URL)
    created = agent_client.post(LIST_URL, {"title": "x", "content": "y"}, format="json")

    assert listed.status_code == 200
    assert listed.json()["data"]["pagination"]["total_records"] == 8
    assert "content" not in listed.json()["data"]["documents"][0]
    assert created.status_code == 403


def test_viewer_may_not_read(viewer_client):
    assert viewer_client.get(LIST_URL).status_code == 403


def test_update_reindexes_changed_text(
    manager_client, knowledge, django_capture_on_commit_callbacks
):
    document = KnowledgeDocument.objects.get(slug="payment-failures")

    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.put(
            detail_url(document.pk),
            {"content": "# Payments\n\nRetry a failed card once.\n\nThen call."},
            format="json",
        )

    assert response.status_code == 200
    document.refresh_from_db()
    assert document.status == "indexed"
    assert list(document.chunks.values_list("text", flat=True)) == [
        "Retry a failed card once.\nThen call."
    ]


def test_delete_removes_document_and_chunks(manager_client, knowledge):
    document = KnowledgeDocument.objects.get(slug="payment-failures")

    response = manager_client.delete(detail_url(document.pk))

    assert response.status_code == 204
    assert not KnowledgeChunk.objects.filter(document_id=document.pk).exists()
    assert AuditEvent.objects.filter(action="ai_knowledge.deleted").exists()


def test_indexing_twice_changes_nothing(knowledge):
    document = KnowledgeDocument.objects.get(slug="payment-failures")
    chunk_ids = list(document.chunks.values_list("id", flat=True))

    knowledge_document_index(document_id=document.pk)

    assert list(document.chunks.values_list("id", flat=True)) == chunk_ids


def test_seed_command_is_idempotent(django_capture_on_commit_callbacks):
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("ai_knowledge_seed", stdout=out)
        call_command("ai_knowledge_seed", stdout=out)

    assert "8 documents added" in out.getvalue()
    assert "0 documents added, 0 updated" in out.getvalue()
    assert KnowledgeDocument.objects.filter(status="indexed").count() == 8


def test_list_query_count_is_constant(manager_client, knowledge, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        response = manager_client.get(LIST_URL, {"limit": 100})

    assert response.status_code == 200
