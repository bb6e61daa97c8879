"""Issue 13 hole 1 (visibility): a manager limited to one branch sees only the batches of
people of that branch — list, status, errors.csv, review actions and the batch's files."""

import pytest
from django.urls import reverse

from tests.accounts.factories import BranchFactory, UserFactory
from tests.files import samples
from tests.files.helpers import body, file_url
from tests.files.helpers import upload as file_upload
from uploads.models import UploadBatch, UploadRowError

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CLAMAV_URL = ""


@pytest.fixture
def north(db):
    return BranchFactory(code="NTH")


@pytest.fixture
def south(db):
    return BranchFactory(code="STH")


@pytest.fixture
def north_manager(north):
    return UserFactory(role="manager", branch=north)


@pytest.fixture
def south_manager(south):
    return UserFactory(role="manager", branch=south)


def _batch(user, **fields) -> UploadBatch:
    batch = UploadBatch.objects.create(
        file_name="south.csv",
        uploaded_by=user,
        status="awaiting_approval",
        file_meta={"header": ["policy_number", "customer_email"]},
        **fields,
    )
    UploadRowError.objects.create(
        batch=batch,
        row=1,
        values=["POL-SOUTH-1", "secret@south.example"],
        problems=[{"column": "customer_email", "value": "", "error": "x"}],
    )
    return batch


ORIGINAL = samples.xlsx()


def _attach(client, batch, django_capture_on_commit_callbacks) -> int:
    with django_capture_on_commit_callbacks(execute=True):
        response = file_upload(
            client, name="original.xlsx", data=ORIGINAL, entity_type="batch", entity_id=batch.pk
        )
    assert response.status_code == 201, response.json()
    return response.json()["data"]["id"]


def _batch_url(name: str, batch: UploadBatch) -> str:
    return reverse(f"api:uploads:{name}", kwargs={"pk": batch.pk})


def test_branch_manager_lists_only_batches_of_their_branch(
    client_for, north, north_manager, south_manager
):
    peer = UserFactory(role="manager", branch=north)
    own, peers, other = _batch(north_manager), _batch(peer), _batch(south_manager)

    response = client_for(north_manager).get(reverse("api:uploads:batch-list"))

    ids = {b["id"] for b in response.json()["data"]["batches"]}
    assert ids == {own.pk, peers.pk}
    assert other.pk not in ids


@pytest.mark.parametrize("name", ["batch-status", "batch-errors-csv"])
def test_another_branchs_batch_reads_are_404(client_for, north_manager, south_manager, name):
    batch = _batch(south_manager)

    response = client_for(north_manager).get(_batch_url(name, batch))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert b"secret@south.example" not in response.content


@pytest.mark.parametrize("name", ["batch-approve", "batch-reject", "batch-retry"])
def test_another_branchs_batch_cannot_be_reviewed(client_for, north_manager, south_manager, name):
    batch = _batch(south_manager)

    response = client_for(north_manager).post(_batch_url(name, batch), {}, format="json")

    assert response.status_code == 404
    batch.refresh_from_db()
    assert batch.status == "awaiting_approval"


def test_same_branch_and_unlimited_managers_still_read(
    client_for, north, north_manager, south_manager, admin_user
):
    batch = _batch(north_manager)
    peer = client_for(UserFactory(role="manager", branch=north))
    unlimited = client_for(UserFactory(role="manager"))

    for client in (peer, unlimited, client_for(admin_user)):
        assert client.get(_batch_url("batch-status", batch)).status_code == 200
        csv = client.get(_batch_url("batch-errors-csv", batch))
        assert csv.status_code == 200
        assert b"secret@south.example" in body(csv)


def test_another_branchs_batch_files_are_out_of_reach(
    client_for, north_manager, south_manager, django_capture_on_commit_callbacks
):
    batch = _batch(south_manager)
    file_id = _attach(client_for(south_manager), batch, django_capture_on_commit_callbacks)
    north = client_for(north_manager)

    listed = north.get("/api/v1/files", {"entity_type": "batch", "entity_id": batch.pk})
    assert listed.status_code == 200
    assert listed.json()["data"]["files"] == []
    for url in (
        file_url(file_id),
        file_url(file_id, "download"),
        f"/api/v1/files/download/{file_id}",
    ):
        assert north.get(url).status_code == 404, url
    attach = file_upload(
        north, name="more.xlsx", data=samples.xlsx(), entity_type="batch", entity_id=batch.pk
    )
    assert attach.status_code == 400
    assert attach.json()["error"]["code"] == "entity_not_found"


def test_same_branch_manager_downloads_the_batch_file(
    client_for, north, north_manager, django_capture_on_commit_callbacks
):
    batch = _batch(north_manager)
    file_id = _attach(client_for(north_manager), batch, django_capture_on_commit_callbacks)
    peer = client_for(UserFactory(role="manager", branch=north))

    response = peer.get(file_url(file_id, "download"))

    assert response.status_code == 200
    assert body(response) == ORIGINAL
