"""Files we hand out: the upload template (CSV/XLSX) and the errors CSV of a batch.

Every row goes through core.spreadsheets.row_safe (no formula injection): the errors CSV
repeats what uploaders typed, header included.
"""

import csv
import io
from collections.abc import Iterator

from core.spreadsheets import row_safe
from uploads.columns import ALL_COLUMNS, REQUIRED_COLUMNS
from uploads.models import UploadBatch, UploadRowError

COLUMN_NOTES = {
    "policy_number": "Unique policy number; letters, digits and / _ . - (required)",
    "customer_code": "Your unique customer id; rows with the same code update one customer",
    "customer_first_name": "Required",
    "customer_last_name": "Required",
    "customer_email": "Column required, value optional; checked for syntax",
    "customer_phone": "Column required, value optional; stored as E.164 (+919876543210)",
    "policy_type": "auto, health, life, home, travel or commercial; blank = the batch's type",
    "premium_amount": "Number >= 0 with at most 2 decimals (required)",
    "start_date": "YYYY-MM-DD or DD/MM/YYYY (required)",
    "end_date": "After start_date (required)",
    "renewal_date": "Date the renewal is due; identifies the policy term (required)",
    "renewal_amount": "Optional; defaults to premium_amount",
    "priority": "Optional: low, medium (default), high, urgent",
    "agent_email": "Optional: an active user who works cases; blank = round-robin in branch",
    "branch_code": "Optional: a branch code; blank = the uploader's branch",
    "date_of_birth": "Optional date, in the past",
    "address_line1": "Optional",
    "address_line2": "Optional",
    "city": "Optional",
    "state": "Optional",
    "postal_code": "Optional",
    "country": "Optional",
}


def template_csv() -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(row_safe(ALL_COLUMNS))
    return buffer.getvalue().encode("utf-8")


def template_xlsx() -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Renewals"
    sheet.append(row_safe(ALL_COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, column in enumerate(ALL_COLUMNS, start=1):
        sheet.column_dimensions[_letter(index)].width = max(14, len(column) + 2)
    sheet.freeze_panes = "A2"
    notes = workbook.create_sheet("Instructions")
    notes.append(row_safe(["column", "required", "notes"]))
    for column in ALL_COLUMNS:
        notes.append(
            row_safe([column, "yes" if column in REQUIRED_COLUMNS else "no", COLUMN_NOTES[column]])
        )
    notes.column_dimensions["A"].width = 22
    notes.column_dimensions["C"].width = 80
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)


class _Echo:
    def write(self, value: str) -> str:
        return value


def errors_csv_iter(*, batch: UploadBatch) -> Iterator[str]:
    """The rejected rows as uploaded (file header and cell order) plus an `error` column."""
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    header = list((batch.file_meta or {}).get("header") or ALL_COLUMNS)
    width = len(header)
    yield "\ufeff"  # BOM: Excel opens UTF-8 CSV correctly
    yield writer.writerow(row_safe([*header, "error"]))
    rows = (
        UploadRowError.objects.filter(batch=batch)
        .order_by("row")
        .values_list("values", "problems")
        .iterator(chunk_size=2000)
    )
    for values, problems in rows:
        cells = (list(values) + [""] * width)[:width]
        message = "; ".join(
            f"{p['column']}: {p['error']}" + (f" ({p['code']})" if p.get("code") else "")
            for p in problems
        )
        yield writer.writerow(row_safe([*cells, message]))
