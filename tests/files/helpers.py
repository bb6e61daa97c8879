from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

UPLOAD_URL = "/api/v1/files/upload"


def upload(
    client: APIClient,
    *,
    name: str,
    data: bytes,
    entity_type: str = "case",
    entity_id: int,
    is_public: bool = False,
):
    return client.post(
        UPLOAD_URL,
        {
            "file": SimpleUploadedFile(name, data, content_type="application/octet-stream"),
            "entity_type": entity_type,
            "entity_id": entity_id,
            "is_public": "true" if is_public else "false",
        },
        format="multipart",
    )


def file_url(file_id: int, suffix: str = "") -> str:
    base = reverse("api:files:file-detail", kwargs={"pk": file_id})
    return base.rstrip("/") + (f"/{suffix}" if suffix else "")


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content
