"""The real worker path: `celery -A intelipro worker -P solo` against Redis and the test
database, including a worker killed mid-file (os._exit after a chunk, like kill -9) and the
batch resumed by POST /upload/batch/{id}/retry on a fresh worker.

Needs PostgreSQL (the worker process must see the test database) and REDIS_URL (broker).
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from renewals.models import Policy, RenewalCase
from tests.accounts.factories import seed_roles
from tests.uploads.files import csv_bytes, row, rows, upload
from uploads.models import UploadBatch

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.REDIS_URL or not settings.USING_POSTGRES,
        reason="needs REDIS_URL and PostgreSQL (a worker process cannot see SQLite's test db)",
    ),
]

ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        f"/{db['NAME']}"
    )


def _start_worker(tmp_path: Path, crash_after_chunks: int = 0) -> subprocess.Popen:
    """A real worker; with crash_after_chunks it exits like kill -9 after that many
    committed writing chunks (tests/uploads/crash.py, test-only)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "intelipro.settings.test",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "UPLOAD_CHUNK_SIZE": "5",
        "LOG_LEVEL": "WARNING",
    }
    log = (tmp_path / f"worker-{time.monotonic_ns()}.log").open("w")
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            *(
                ("tests.uploads.crash", str(crash_after_chunks))
                if crash_after_chunks
                else ("celery", "-A", "intelipro", "worker")
            ),
            "-P",
            "solo",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
            "-l",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def _wait(predicate, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    raise AssertionError("timed out waiting for the worker")


@pytest.fixture(scope="module", autouse=True)
def _roles_back_after_flush(django_db_blocker):
    """A transactional test ends with a flush that also removes the roles the migrations
    seeded; put them back so later tests on a reused database still find them."""
    yield
    with django_db_blocker.unblock():
        seed_roles()


@pytest.fixture
def real_broker():
    """Send tasks to Redis instead of running them eagerly in the test process."""
    from intelipro.celery import app

    app.conf.task_always_eager = False
    yield app
    app.conf.task_always_eager = True


@pytest.fixture
def upload_client(client_for, transactional_db):
    """Committed users the worker process can see. A transactional test before this one may
    have flushed the tables, seeded roles included: seed them again the migration's way."""
    from tests.accounts.factories import BranchFactory, UserFactory

    seed_roles()

    branch = BranchFactory(code="MUM")
    for _ in range(2):
        UserFactory(role="agent", branch=branch)
    return client_for(UserFactory(role="manager", branch=branch))


def _post(client, content: bytes) -> int:
    response = client.post(
        reverse("api:uploads:batch-create"),
        {"file": upload(content), "policy_type": "auto"},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    return response.json()["data"]["batch_id"]


def _final(batch_id: int) -> bool:
    return UploadBatch.objects.get(pk=batch_id).status in UploadBatch.FINAL_STATUSES


def test_real_worker_processes_an_upload(real_broker, upload_client, tmp_path):
    worker = _start_worker(tmp_path)
    try:
        data = rows(12)
        data[6] = row(7, premium_amount="-1")
        batch_id = _post(upload_client, csv_bytes(data))

        _wait(lambda: _final(batch_id))
    finally:
        _stop(worker)

    batch = UploadBatch.objects.get(pk=batch_id)
    assert (batch.status, batch.has_errors) == ("completed", True), batch.failure_reason
    assert (batch.processed_records, batch.successful_records, batch.failed_records) == (
        12,
        11,
        1,
    )
    assert batch.chunks_committed == 3
    assert RenewalCase.objects.filter(batch_id=batch_id).count() == 11


def test_worker_killed_mid_file_resumes_on_retry(real_broker, upload_client, tmp_path):
    doomed = _start_worker(tmp_path, crash_after_chunks=1)
    try:
        batch_id = _post(upload_client, csv_bytes(rows(12)))
        _wait(lambda: doomed.poll() is not None)
    finally:
        _stop(doomed)
    batch = UploadBatch.objects.get(pk=batch_id)
    assert doomed.returncode == 137
    assert (batch.status, batch.next_row, Policy.objects.count()) == ("processing", 5, 5)

    worker = _start_worker(tmp_path)
    try:
        response = upload_client.post(
            reverse("api:uploads:batch-retry", kwargs={"pk": batch_id}), {}, format="json"
        )
        assert response.status_code == 200
        _wait(lambda: _final(batch_id))
    finally:
        _stop(worker)

    batch.refresh_from_db()
    assert (batch.status, batch.processed_records, batch.successful_records) == (
        "completed",
        12,
        12,
    )
    assert Policy.objects.count() == 12
    assert RenewalCase.objects.filter(batch_id=batch_id).count() == 12
    assert len(set(RenewalCase.objects.values_list("case_number", flat=True))) == 12
