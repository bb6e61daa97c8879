"""Streaming readers of uploaded files and the checks that run before anything is written.

`file_inspect` decides what a file really is from its bytes (never from its name alone),
refuses dangerous or unreadable files with a specific error, finds the header row and counts
the data rows. `records_iter` then streams the records (lists of cell values) of an
inspected file: CSV through the csv module, XLSX through python-calamine one row at a time.
Neither holds the sheet as Python objects in memory.
"""

import codecs
import csv
import io
import itertools
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings

from files.office import OfficeContainerUnreadableError, office_container_inspect
from uploads import errors
from uploads.columns import HeaderMatch, header_match

CSV = "csv"
XLSX = "xlsx"
FORMATS = (CSV, XLSX)

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
# Password-protected OOXML files are OLE2 containers holding an "EncryptedPackage" stream;
# directory entry names are UTF-16LE.
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
READ_BLOCK = 1024 * 1024
# How many leading records may precede the header (title rows, notes) before we give up.
HEADER_SCAN_RECORDS = 10
CSV_DELIMITERS = (",", ";", "\t", "|")
# csv's default 128 KB cell limit; an address cell never needs more, a hostile file might.
csv.field_size_limit(1024 * 1024)

Opener = Callable[[], IO[bytes]]


@dataclass
class Inspection:
    """What `file_inspect` learned about a file; stored on the batch for the worker."""

    kind: str
    encoding: str = ""
    delimiter: str = ""
    header_index: int = 0  # 0-based record index of the header row
    header: list[str] = field(default_factory=list)
    positions: dict[str, int] = field(default_factory=dict)
    total_records: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "header_index": self.header_index,
            "header": self.header,
            "positions": self.positions,
        }


def is_blank(record: list[Any]) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in record)


# --- type detection -------------------------------------------------------------------------


def _head(opener: Opener, size: int = 8) -> bytes:
    with opener() as handle:
        return handle.read(size)


def _contains(opener: Opener, needle: bytes) -> bool:
    overlap = len(needle)
    tail = b""
    with opener() as handle:
        while block := handle.read(READ_BLOCK):
            if needle in tail + block:
                return True
            tail = block[-overlap:]
    return False


def _extension(file_name: str) -> str:
    return file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""


def kind_detect(*, opener: Opener, file_name: str) -> str:
    """The real kind of the file (csv or xlsx) or a specific UploadFileError."""
    extension = _extension(file_name)
    head = _head(opener)
    if head.startswith(OLE2_MAGIC):
        if _contains(opener, ENCRYPTED_PACKAGE):
            raise errors.UploadEncryptedError(details={"file_name": file_name})
        raise errors.UploadLegacyExcelError(details={"file_name": file_name})
    if extension == "xlsm":
        raise errors.UploadMacroEnabledError(details={"file_name": file_name})
    if extension == "xls":
        raise errors.UploadLegacyExcelError(details={"file_name": file_name})
    if extension not in FORMATS:
        raise errors.UploadUnsupportedTypeError(
            details={"file_name": file_name, "extension": extension}
        )
    if head.startswith(ZIP_MAGIC):
        if extension != XLSX:
            raise errors.UploadUnsupportedTypeError(
                details={"file_name": file_name, "extension": extension, "detected": "zip"}
            )
        _xlsx_container_check(opener=opener, file_name=file_name)
        return XLSX
    if extension == XLSX:
        raise errors.UploadUnsupportedTypeError(
            details={"file_name": file_name, "extension": extension, "detected": "not a zip"}
        )
    with opener() as handle:
        sample = handle.read(64 * 1024)
    if b"\x00" in sample:
        raise errors.UploadUnsupportedTypeError(
            details={"file_name": file_name, "extension": extension, "detected": "binary"}
        )
    return CSV


def _xlsx_container_check(*, opener: Opener, file_name: str) -> None:
    """An .xlsx must be a zip holding a workbook, no macros, no encryption, no bomb."""
    max_total = settings.UPLOAD_XLSX_MAX_UNCOMPRESSED_MB * 1024 * 1024
    max_ratio = settings.UPLOAD_XLSX_MAX_RATIO
    # Below this size a high ratio is harmless (an empty sheet compresses extremely well).
    ratio_floor = 10 * 1024 * 1024
    details = {"file_name": file_name}
    with opener() as handle:
        try:
            container = office_container_inspect(handle)
        except OfficeContainerUnreadableError as exc:
            raise errors.UploadCorruptFileError(details=details) from exc
    if container.entries > settings.UPLOAD_XLSX_MAX_ENTRIES:
        raise errors.UploadZipBombError(details={**details, "entries": container.entries})
    total = container.uncompressed_bytes
    if total > max_total:
        raise errors.UploadZipBombError(details={**details, "uncompressed_bytes": total})
    ratio = container.expansion_ratio(floor=ratio_floor)
    if ratio > max_ratio:
        raise errors.UploadZipBombError(details={**details, "ratio": round(ratio, 1)})
    if container.encrypted:
        raise errors.UploadEncryptedError(details=details)
    if container.has_macros:
        raise errors.UploadMacroEnabledError(details=details)
    if container.kind != XLSX or "xl/workbook.xml" not in container.names:
        raise errors.UploadUnsupportedTypeError(
            details={**details, "detected": "zip without an Excel workbook"}
        )


# --- CSV ------------------------------------------------------------------------------------


def csv_encoding_detect(opener: Opener) -> str:
    """UTF-8 (with or without BOM), else Windows-1252, else Latin-1 (decodes any byte)."""
    with opener() as handle:
        bom = handle.read(3)
    if bom == codecs.BOM_UTF8:
        candidates = ("utf-8-sig", "cp1252", "latin-1")
    else:
        candidates = ("utf-8", "cp1252", "latin-1")
    for encoding in candidates[:-1]:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with opener() as handle:
                while block := handle.read(READ_BLOCK):
                    decoder.decode(block)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    return candidates[-1]


def _csv_records(opener: Opener, *, encoding: str, delimiter: str) -> Iterator[list[str]]:
    with opener() as raw:
        text = io.TextIOWrapper(raw, encoding=encoding, newline="")
        try:
            yield from csv.reader(text, delimiter=delimiter)
        except csv.Error as exc:
            raise errors.UploadCorruptFileError(details={"reason": str(exc)}) from exc
        finally:
            text.detach()


# --- XLSX -----------------------------------------------------------------------------------


def _local_path(handle: IO[bytes]) -> str | None:
    """The path of a plain local file handle (a stored batch on local disk), else None."""
    name = getattr(handle, "name", None)
    if isinstance(handle, io.BufferedReader) and isinstance(name, str) and os.path.isabs(name):
        return name
    return None


def _xlsx_records(opener: Opener) -> Iterator[list[Any]]:
    from python_calamine import CalamineError, CalamineWorkbook, PasswordError

    try:
        with opener() as handle:
            path = _local_path(handle)
            # From a path calamine reads the zip from disk; from a file object it first copies
            # the whole file into memory (up to UPLOAD_MAX_FILE_SIZE_MB more at peak).
            workbook = (
                CalamineWorkbook.from_path(path) if path else CalamineWorkbook.from_filelike(handle)
            )
        try:
            sheet = workbook.get_sheet_by_index(0)
        finally:
            workbook.close()
        rows = sheet.iter_rows()
    except PasswordError as exc:
        raise errors.UploadEncryptedError() from exc
    except (CalamineError, ValueError, OSError) as exc:
        raise errors.UploadCorruptFileError(details={"reason": str(exc)[:200]}) from exc
    except Exception as exc:  # calamine raises a few bare errors for malformed XML
        raise errors.UploadCorruptFileError(details={"reason": str(exc)[:200]}) from exc
    yield from rows


# --- public API -----------------------------------------------------------------------------


def records_iter(*, opener: Opener, inspection: Inspection) -> Iterator[list[Any]]:
    """Every record of the file (header and preamble included), as lists of cell values."""
    if inspection.kind == XLSX:
        return _xlsx_records(opener)
    return _csv_records(opener, encoding=inspection.encoding, delimiter=inspection.delimiter)


def data_records_iter(
    *, opener: Opener, inspection: Inspection, skip: int = 0
) -> Iterator[tuple[int, list[Any]]]:
    """(row_number, cells) of each non-blank data row; row_number is 1-based after the header.

    `skip` data rows (counted by position, blank ones included) are passed over without
    being yielded: the resume point of a batch.
    """
    start = inspection.header_index + 1
    for index, record in enumerate(records_iter(opener=opener, inspection=inspection)):
        row_number = index - start + 1
        if row_number <= skip:
            continue
        if is_blank(record):
            continue
        yield row_number, record


def _best_header(records: list[list[Any]]) -> tuple[int, HeaderMatch] | None:
    best: tuple[int, HeaderMatch] | None = None
    for index, record in enumerate(records):
        if is_blank(record):
            continue
        match = header_match(record)
        if match.recognized and (best is None or match.recognized > best[1].recognized):
            best = (index, match)
            if not match.missing:
                break
    return best


def file_inspect(*, opener: Opener, file_name: str, size: int) -> Inspection:
    """Every check that runs before a batch is created; raises an UploadFileError."""
    limit = settings.UPLOAD_MAX_FILE_SIZE_MB * 1024 * 1024
    if size > limit:
        raise errors.UploadFileTooLargeError(details={"size": size, "max_size": limit})
    if size == 0:
        raise errors.UploadFileEmptyError(details={"file_name": file_name})
    kind = kind_detect(opener=opener, file_name=file_name)
    inspection = Inspection(kind=kind)
    if kind == CSV:
        inspection.encoding = csv_encoding_detect(opener)
        best = None
        for delimiter in CSV_DELIMITERS:
            head = []
            for record in _csv_records(opener, encoding=inspection.encoding, delimiter=delimiter):
                head.append(record)
                if len(head) >= HEADER_SCAN_RECORDS:
                    break
            found = _best_header(head)
            if found and (best is None or found[1].recognized > best[1][1].recognized):
                best = (delimiter, found)
        if best is None:
            raise errors.UploadHeaderMissingError()
        inspection.delimiter, (header_index, match) = best
    else:
        # One read of the workbook serves the header scan and the row count.
        records = _xlsx_records(opener)
        head = list(itertools.islice(records, HEADER_SCAN_RECORDS))
        found = _best_header(head)
        if found is None:
            raise errors.UploadHeaderMissingError()
        header_index, match = found
    if match.missing:
        raise errors.UploadMissingColumnsError(
            details={"missing_columns": match.missing, "found_columns": sorted(match.positions)}
        )
    if match.duplicates:
        raise errors.UploadDuplicateColumnsError(details={"columns": sorted(set(match.duplicates))})
    inspection.header_index = header_index
    inspection.header = match.header
    inspection.positions = match.positions
    max_rows = settings.UPLOAD_MAX_ROWS
    total = 0
    data: Iterable[list[Any]]
    if kind == CSV:
        data = (r for _n, r in data_records_iter(opener=opener, inspection=inspection))
    else:
        data = itertools.chain(head[header_index + 1 :], records)
    for record in data:
        if is_blank(record):
            continue
        total += 1
        if total > max_rows:
            raise errors.UploadTooManyRowsError(details={"max_rows": max_rows})
    if total == 0:
        raise errors.UploadFileEmptyError(details={"file_name": file_name})
    inspection.total_records = total
    return inspection


def inspection_from_dict(data: dict[str, Any]) -> Inspection:
    return Inspection(
        kind=data["kind"],
        encoding=data.get("encoding", ""),
        delimiter=data.get("delimiter", ""),
        header_index=int(data.get("header_index", 0)),
        header=list(data.get("header", [])),
        positions={key: int(value) for key, value in data.get("positions", {}).items()},
    )
