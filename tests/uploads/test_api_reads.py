"""GET /upload/batches, GET /upload/template and the template round trip."""

import io

import pytest
from django.urls import reverse

from renewals.models import RenewalCase
from tests.accounts.factories import UserFactory
from tests.uploads.files import row, upload
from uploads.columns import ALL_COLUMNS
from uploads.models import UploadBatch

pytestmark = pytest.mark.django_db


def _batch(user, **fields) -> UploadBatch:
    return UploadBatch.objects.create(file_name="f.csv", uploaded_by=user, **fields)


def test_list_uses_the_spec_items_key_and_pagination(manager_client, manager_user):
    for _ in range(3):
        _batch(manager_user, status="completed", total_records=5)

    response = manager_client.get("/api/v1/upload/batches?page=1&limit=2")

    assert response.status_code == 200
    data = response.json()["data"]
    assert len(data["batches"]) == 2
    assert data["pagination"] == {
        "current_page": 1,
        "total_pages": 2,
        "total_records": 3,
        "per_page": 2,
    }


@pytest.mark.parametrize(("status", "expected"), [("all", 3), ("completed", 1), ("failed", 1)])
def test_list_filters_by_status(manager_client, manager_user, status, expected):
    for value in ("completed", "failed", "processing"):
        _batch(manager_user, status=value)

    response = manager_client.get(reverse("api:uploads:batch-list"), {"status": status})

    assert response.json()["data"]["pagination"]["total_records"] == expected


def test_list_filters_by_uploader(manager_client, manager_user, admin_user):
    _batch(manager_user)
    _batch(admin_user)

    response = manager_client.get(reverse("api:uploads:batch-list"), {"uploaded_by": "me"})

    batches = response.json()["data"]["batches"]
    assert [b["uploaded_by"]["id"] for b in batches] == [manager_user.pk]


def test_unknown_status_filter_is_a_validation_error(manager_client):
    response = manager_client.get(reverse("api:uploads:batch-list"), {"status": "nope"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_list_query_count_is_constant(manager_client, django_assert_max_num_queries):
    for _ in range(20):
        _batch(UserFactory(role="manager"))

    with django_assert_max_num_queries(8):
        response = manager_client.get(reverse("api:uploads:batch-list"), {"limit": 20})

    assert len(response.json()["data"]["batches"]) == 20


def test_agent_cannot_list_batches(agent_client):
    response = agent_client.get(reverse("api:uploads:batch-list"))

    assert response.status_code == 403


def test_status_of_unknown_batch_is_404(manager_client):
    response = manager_client.get(reverse("api:uploads:batch-status", kwargs={"pk": 999}))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_template_has_every_column(manager_client, fmt):
    response = manager_client.get(reverse("api:uploads:template"), {"format": fmt})

    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    if fmt == "csv":
        header = response.content.decode("utf-8").splitlines()[0].split(",")
    else:
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
        header = [cell.value for cell in next(sheet.iter_rows(max_row=1))]
    assert header == list(ALL_COLUMNS)


def test_unknown_template_format_is_a_validation_error(manager_client):
    response = manager_client.get(reverse("api:uploads:template"), {"format": "pdf"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def _filled(values: dict) -> list:
    return [values.get(column, "") for column in ALL_COLUMNS]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_template_round_trips(post_upload, batch_status, uploader_client, agents, fmt):
    template = uploader_client.get(reverse("api:uploads:template"), {"format": fmt}).content
    values = {**row(1), "date_of_birth": "1980-05-17", "city": "Pune", "country": "IN"}
    if fmt == "csv":
        import csv

        buffer = io.StringIO()
        csv.writer(buffer).writerow(_filled(values))
        content = template + buffer.getvalue().encode("utf-8")
    else:
        from openpyxl import load_workbook

        workbook = load_workbook(io.BytesIO(template))
        workbook.worksheets[0].append(_filled(values))
        out = io.BytesIO()
        workbook.save(out)
        content = out.getvalue()

    response = post_upload(content, f"filled.{fmt}")

    status = batch_status(response.json()["data"]["batch_id"])
    assert status["status"] == "completed", status
    case = RenewalCase.objects.select_related("policy__customer").get()
    assert case.policy.customer.address == {"city": "Pune", "country": "IN"}
    assert case.policy.customer.date_of_birth.isoformat() == "1980-05-17"


def test_empty_upload_is_refused(manager_client):
    response = manager_client.post(
        reverse("api:uploads:batch-create"),
        {"file": upload(b"", "x.csv"), "policy_type": "auto"},
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
