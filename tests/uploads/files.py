"""Builders of upload files for tests: real CSV and XLSX bytes, no mocks."""

import csv
import io
import zipfile
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from uploads.columns import REQUIRED_COLUMNS

HEADER = [*REQUIRED_COLUMNS, "renewal_amount", "priority", "agent_email", "branch_code"]


def row(n: int, **overrides: Any) -> dict[str, Any]:
    """A valid row; `n` makes the policy and customer unique."""
    values = {
        "policy_number": f"POL-{n:06d}",
        "customer_code": f"C{n:06d}",
        "customer_first_name": "Asha",
        "customer_last_name": f"Rao{n}",
        "customer_email": f"asha{n}@example.com",
        "customer_phone": "+91 98765 43210",
        "policy_type": "auto",
        "premium_amount": "1200.50",
        "start_date": "2025-04-01",
        "end_date": "2026-03-31",
        "renewal_date": "2026-03-31",
        "renewal_amount": "",
        "priority": "",
        "agent_email": "",
        "branch_code": "",
    }
    values.update(overrides)
    return values


def rows(count: int, start: int = 1, **overrides: Any) -> list[dict[str, Any]]:
    return [row(n, **overrides) for n in range(start, start + count)]


def csv_bytes(
    data: list[dict[str, Any]],
    *,
    header: list[str] | None = None,
    keys: list[str] | None = None,
    delimiter: str = ",",
    encoding: str = "utf-8",
    preamble: list[list[str]] | None = None,
) -> bytes:
    """`keys`: the row keys written in each column (default HEADER); `header`: the header
    cells written for them (default the keys themselves, e.g. aliases in a test)."""
    keys = keys or HEADER
    header = header or keys
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    for line in preamble or []:
        writer.writerow(line)
    writer.writerow(header)
    for item in data:
        writer.writerow([item.get(k, "") for k in keys])
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(data: list[dict[str, Any]], *, header: list[str] | None = None) -> bytes:
    from openpyxl import Workbook

    header = header or HEADER
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for item in data:
        sheet.append([item.get(k, "") for k in header])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload(content: bytes, name: str = "renewals.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def zip_bytes(entries: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=compression) as archive:
        for name, payload in entries.items():
            archive.writestr(name, payload)
    return out.getvalue()
