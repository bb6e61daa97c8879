"""Oversized bodies are refused at the ASGI layer with 413 in the envelope."""

import json

import pytest
from channels.testing import HttpCommunicator

from intelipro.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


async def test_declared_oversized_file_upload_is_413_before_the_body_is_read(settings):
    limit, _code = settings.REQUEST_BODY_LIMITS["/api/v1/files/upload"]
    communicator = HttpCommunicator(
        application,
        "POST",
        "/api/v1/files/upload",
        body=b"",
        headers=[(b"content-length", str(limit + 1).encode()), (b"host", b"testserver")],
    )

    response = await communicator.get_response()

    assert response["status"] == 413
    assert json.loads(response["body"])["error"]["code"] == "file_too_large"


async def test_other_paths_use_the_general_limit(settings):
    settings.REQUEST_MAX_BODY_BYTES = 1000
    communicator = HttpCommunicator(
        application,
        "POST",
        "/api/v1/auth/login",
        body=b"x" * 1001,
        headers=[(b"content-type", b"application/json"), (b"host", b"testserver")],
    )

    response = await communicator.get_response()

    assert response["status"] == 413
    assert json.loads(response["body"])["error"]["code"] == "payload_too_large"


async def test_bodies_within_the_limit_pass_through():
    communicator = HttpCommunicator(
        application, "GET", "/health", headers=[(b"host", b"testserver")]
    )

    response = await communicator.get_response()

    assert response["status"] == 200
