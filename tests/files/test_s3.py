"""The S3 path: moto's S3 server on loopback, through django-storages and boto3."""

import boto3
import pytest
import requests

from files.models import File, FileBlob
from tests.files import samples
from tests.files.helpers import file_url, upload
from tests.renewals.factories import RenewalCaseFactory

pytestmark = [pytest.mark.django_db, pytest.mark.service]


@pytest.fixture
def case(agent_user):
    return RenewalCaseFactory(assigned_to=agent_user)


@pytest.fixture
def s3(moto_s3):
    return boto3.client(
        "s3",
        endpoint_url=moto_s3,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )


def test_upload_stores_encrypted_object_under_random_key(agent_client, case, s3_bucket, s3):
    data = samples.pdf()

    response = upload(agent_client, name="Notice.pdf", data=data, entity_id=case.pk)

    assert response.status_code == 201
    key = File.objects.get().file_path
    head = s3.head_object(Bucket=s3_bucket, Key=key)
    assert head["ServerSideEncryption"] == "AES256"
    assert head["ContentLength"] == len(data)
    assert "Notice" not in key


def test_download_redirects_to_presigned_url(agent_client, case, s3_bucket):
    data = samples.pdf()
    file_id = upload(agent_client, name="Notice.pdf", data=data, entity_id=case.pk).json()["data"][
        "id"
    ]

    response = agent_client.get(file_url(file_id, "download"))

    assert response.status_code == 302
    fetched = requests.get(response["Location"], timeout=10)
    assert fetched.status_code == 200
    assert fetched.content == data
    assert fetched.headers["Content-Type"] == "application/pdf"
    assert fetched.headers["Content-Disposition"].startswith('attachment; filename="Notice.pdf"')
    assert "X-Amz-Expires=60" in response["Location"]


def test_permission_is_checked_before_redirect(case, s3_bucket, agent_client, client_for):
    from tests.accounts.factories import UserFactory

    file_id = upload(agent_client, name="n.pdf", data=samples.pdf(), entity_id=case.pk).json()[
        "data"
    ]["id"]

    response = client_for(UserFactory(role="agent")).get(file_url(file_id, "download"))

    assert response.status_code == 404


def test_thumbnail_and_purge_on_s3(
    agent_client, case, s3_bucket, s3, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        file_id = upload(agent_client, name="p.jpg", data=samples.jpeg(), entity_id=case.pk).json()[
            "data"
        ]["id"]
    blob = FileBlob.objects.get()
    assert blob.thumbnail_status == FileBlob.ThumbnailStatus.READY
    assert agent_client.get(file_url(file_id, "thumbnail")).status_code == 302

    with django_capture_on_commit_callbacks(execute=True):
        assert agent_client.delete(file_url(file_id)).status_code == 204

    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=s3_bucket).get("Contents", [])]
    assert keys == []
