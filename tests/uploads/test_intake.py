"""POST /upload/batch: every bad file is refused with 400 and a specific code, before any
write (no batch row, no stored file)."""

import io
import zipfile

import pytest
from django.test import override_settings
from django.urls import reverse

from tests.uploads.files import HEADER, csv_bytes, row, rows, upload, xlsx_bytes, zip_bytes
from uploads.models import UploadBatch

pytestmark = pytest.mark.django_db

URL = "api:uploads:batch-create"


def _post(client, content: bytes, name: str, **fields):
    data = {"file": upload(content, name), "policy_type": "auto", **fields}
    return client.post(reverse(URL), data, format="multipart")


def _assert_refused(response, code: str, media_root, status: int = 400) -> None:
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code
    assert UploadBatch.objects.count() == 0
    assert not any(p.is_file() for p in media_root.rglob("*"))


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _xlsx_with(extra: dict[str, bytes]) -> bytes:
    """A real workbook with extra zip entries added (e.g. a VBA project)."""
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes(rows(2))))
    entries = {info.filename: source.read(info.filename) for info in source.infolist()}
    entries.update(extra)
    return zip_bytes(entries)


def _encrypted_ooxml() -> bytes:
    """What Excel writes for a password-protected workbook: an OLE2 compound file holding
    an EncryptedInfo and an EncryptedPackage stream (directory names in UTF-16LE)."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    directory = "Root Entry".encode("utf-16-le").ljust(128, b"\x00")
    directory += "EncryptionInfo".encode("utf-16-le").ljust(128, b"\x00")
    directory += "EncryptedPackage".encode("utf-16-le").ljust(128, b"\x00")
    return header + directory + b"\x00" * 1024


def test_too_large_file_is_refused(manager_client, media, settings):
    settings.UPLOAD_MAX_FILE_SIZE_MB = 0

    response = _post(manager_client, csv_bytes(rows(2)), "renewals.csv")

    _assert_refused(response, "upload_file_too_large", media, status=413)


def test_macro_enabled_workbook_is_refused(manager_client, media):
    content = _xlsx_with({"xl/vbaProject.bin": b"\x00VBA"})

    response = _post(manager_client, content, "renewals.xlsx")

    _assert_refused(response, "upload_macro_enabled", media)


def test_xlsm_extension_is_refused(manager_client, media):
    response = _post(manager_client, xlsx_bytes(rows(2)), "renewals.xlsm")

    _assert_refused(response, "upload_macro_enabled", media)


def test_legacy_xls_renamed_to_xlsx_is_refused(manager_client, media):
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 2048

    response = _post(manager_client, ole2, "renewals.xlsx")

    _assert_refused(response, "upload_legacy_xls", media)


def test_password_protected_workbook_is_refused(manager_client, media):
    response = _post(manager_client, _encrypted_ooxml(), "renewals.xlsx")

    _assert_refused(response, "upload_encrypted", media)


def test_zip_bomb_is_refused(manager_client, media):
    bomb = _xlsx_with({"xl/worksheets/sheet2.xml": b"\x00" * (64 * 1024 * 1024)})

    response = _post(manager_client, bomb, "renewals.xlsx")

    _assert_refused(response, "upload_zip_bomb", media)


def test_zip_without_workbook_is_refused(manager_client, media):
    content = zip_bytes({"hello.txt": b"not a workbook"})

    response = _post(manager_client, content, "renewals.xlsx")

    _assert_refused(response, "upload_unsupported_type", media)


def test_csv_content_named_xlsx_is_refused(manager_client, media):
    response = _post(manager_client, csv_bytes(rows(2)), "renewals.xlsx")

    _assert_refused(response, "upload_unsupported_type", media)


def test_unknown_extension_is_refused(manager_client, media):
    response = _post(manager_client, csv_bytes(rows(2)), "renewals.pdf")

    _assert_refused(response, "upload_unsupported_type", media)


def test_binary_content_named_csv_is_refused(manager_client, media):
    response = _post(manager_client, b"\x89PNG\r\n\x1a\n\x00\x00\x00", "renewals.csv")

    _assert_refused(response, "upload_unsupported_type", media)


def test_missing_required_columns_are_named(manager_client, media):
    header = [c for c in HEADER if c not in ("premium_amount", "renewal_date")]

    response = _post(manager_client, csv_bytes(rows(2), keys=header), "renewals.csv")

    _assert_refused(response, "upload_missing_columns", media)
    missing = response.json()["error"]["details"]["missing_columns"]
    assert missing == ["premium_amount", "renewal_date"]


def test_file_without_header_row_is_refused(manager_client, media):
    content = b"a,b,c\r\n1,2,3\r\n"

    response = _post(manager_client, content, "renewals.csv")

    _assert_refused(response, "upload_header_missing", media)


def test_header_only_file_is_refused(manager_client, media):
    response = _post(manager_client, csv_bytes([]), "renewals.csv")

    _assert_refused(response, "upload_file_empty", media)


def test_row_limit_is_enforced(manager_client, media, settings):
    settings.UPLOAD_MAX_ROWS = 3

    response = _post(manager_client, csv_bytes(rows(4)), "renewals.csv")

    _assert_refused(response, "upload_too_many_rows", media)


def test_unknown_policy_type_is_a_validation_error(manager_client, media):
    response = _post(manager_client, csv_bytes(rows(2)), "renewals.csv", policy_type="boats")

    _assert_refused(response, "validation_error", media)


def test_missing_file_is_a_validation_error(manager_client, media):
    response = manager_client.post(reverse(URL), {"policy_type": "auto"}, format="multipart")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_agent_may_not_upload(agent_client, media):
    response = _post(agent_client, csv_bytes(rows(2)), "renewals.csv")

    assert response.status_code == 403
    assert UploadBatch.objects.count() == 0


def test_accepted_upload_answers_with_the_spec_shape(manager_client, media):
    response = _post(manager_client, csv_bytes(rows(3)), "renewal_batch_2024_01.csv")

    assert response.status_code == 201
    data = response.json()["data"]
    assert data["file_name"] == "renewal_batch_2024_01.csv"
    assert data["total_records"] == 3
    assert data["status"] == "processing"
    batch = UploadBatch.objects.get(pk=data["batch_id"])
    assert (media / batch.file_path).is_file()


def test_blank_rows_are_not_counted(manager_client, media):
    content = (
        csv_bytes(rows(2)) + b",,,,,,,,,,,,,,\r\n\r\n" + csv_bytes([row(3)]).split(b"\r\n", 1)[1]
    )

    response = _post(manager_client, content, "renewals.csv")

    assert response.json()["data"]["total_records"] == 3


@override_settings(THROTTLE_RATES={"upload": "2/h", "api_general": "1000/h"})
def test_uploads_are_throttled_per_user(manager_client, media):
    for _ in range(2):
        _post(manager_client, csv_bytes(rows(1)), "renewals.csv")

    response = _post(manager_client, csv_bytes(rows(1)), "renewals.csv")

    assert response.status_code == 429
    assert response.json()["error"]["code"] == "throttled"


# One macro/zip check (files.office) serves document uploads and renewal files alike: a
# workbook with ActiveX controls, or a macro-enabled content type without a VBA part, is
# refused here as it is by POST /files/upload (tests/files/test_upload.py).
_CT_MACRO = (
    b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    b'content-types"><Override PartName="/xl/workbook.xml" ContentType="application/'
    b'vnd.ms-excel.sheet.macroEnabled.main+xml"/></Types>'
)


@pytest.mark.parametrize(
    "extra",
    [
        {"xl/activeX/activeX1.xml": b"<ax/>"},
        {"[Content_Types].xml": _CT_MACRO},
    ],
    ids=["activex", "macro-content-type"],
)
def test_workbook_with_active_content_is_refused(manager_client, media, extra):
    response = _post(manager_client, _xlsx_with(extra), "renewals.xlsx")

    _assert_refused(response, "upload_macro_enabled", media)


def test_workbook_with_an_encrypted_part_is_refused(manager_client, media):
    content = bytearray(_xlsx_with({}))
    # Set the "encrypted" flag of every entry in the central directory.
    offset = content.find(b"PK\x01\x02")
    while offset != -1:
        content[offset + 8] |= 0x1
        offset = content.find(b"PK\x01\x02", offset + 4)

    response = _post(manager_client, bytes(content), "renewals.xlsx")

    _assert_refused(response, "upload_encrypted", media)
