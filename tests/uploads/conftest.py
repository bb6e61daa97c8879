"""Fixtures of the upload tests: an uploading manager, branches with agents, and a helper
that uploads through the real endpoint and runs on_commit work (the eager Celery task)."""

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from tests.accounts.factories import BranchFactory, UserFactory
from tests.uploads.files import upload


@pytest.fixture
def branch(db):
    return BranchFactory(code="MUM")


@pytest.fixture
def agents(branch) -> list:
    return [UserFactory(role="agent", branch=branch) for _ in range(3)]


@pytest.fixture
def uploader(branch):
    return UserFactory(role="manager", branch=branch)


@pytest.fixture
def uploader_client(client_for, uploader):
    return client_for(uploader)


@pytest.fixture
def approver_client(client_for, branch):
    return client_for(UserFactory(role="manager", branch=branch))


@pytest.fixture
def post_upload(uploader_client, django_capture_on_commit_callbacks) -> Callable[..., Any]:
    """POST /upload/batch and run the enqueued (eager) processing, like a worker would."""

    def post(content: bytes, name: str = "renewals.csv", client=None, **fields: Any):
        data = {"file": upload(content, name), "policy_type": "auto", **fields}
        with django_capture_on_commit_callbacks(execute=True):
            return (client or uploader_client).post(
                reverse("api:uploads:batch-create"), data, format="multipart"
            )

    return post


@pytest.fixture
def crash(monkeypatch):
    """Crash injection: `crash.arm(n)` makes the next writing run die after n committed
    chunks (tests/uploads/crash.py); `crash.disarm()` turns it off."""
    from tests.uploads.crash import install

    return install(monkeypatch)


@pytest.fixture
def batch_status(uploader_client) -> Callable[[int], dict]:
    def get(batch_id: int, client=None) -> dict:
        url = reverse("api:uploads:batch-status", kwargs={"pk": batch_id})
        response = (client or uploader_client).get(url)
        assert response.status_code == 200, response.content
        return response.json()["data"]

    return get
