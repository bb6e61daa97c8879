"""What an upload really is: its type from the bytes, its name made safe, its hidden dangers.

Order of checks (the first failing one answers, each with its own stable code):
empty → name (double extension) → real type (libmagic) → macros in Office containers →
polyglots → allow-list → the extension must agree with the content.
"""

import re
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import magic

from files.errors import (
    FileCorruptError,
    FileDoubleExtensionError,
    FileEmptyError,
    FileExtensionMismatchError,
    FileMacroEnabledError,
    FileNameInvalidError,
    FilePolyglotError,
    FileTypeNotAllowedError,
)
from files.office import OfficeContainerUnreadableError, office_container_inspect


@dataclass(frozen=True)
class Kind:
    """One accepted document type: the MIME types libmagic may report and its extensions."""

    name: str
    mime_type: str  # served as Content-Type
    detected: frozenset[str]
    extensions: frozenset[str]
    image: bool = False


OOXML_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
OOXML_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# The issue's allow-list: pdf, png, jpeg, gif, webp, docx, xlsx, csv, txt, eml, msg.
KINDS: tuple[Kind, ...] = (
    Kind("pdf", "application/pdf", frozenset({"application/pdf"}), frozenset({"pdf"})),
    Kind("png", "image/png", frozenset({"image/png"}), frozenset({"png"}), image=True),
    Kind("jpeg", "image/jpeg", frozenset({"image/jpeg"}), frozenset({"jpg", "jpeg"}), image=True),
    Kind("gif", "image/gif", frozenset({"image/gif"}), frozenset({"gif"}), image=True),
    Kind("webp", "image/webp", frozenset({"image/webp"}), frozenset({"webp"}), image=True),
    Kind("docx", OOXML_DOCX, frozenset({OOXML_DOCX}), frozenset({"docx"})),
    Kind("xlsx", OOXML_XLSX, frozenset({OOXML_XLSX}), frozenset({"xlsx"})),
    Kind(
        "csv",
        "text/csv",
        frozenset({"text/csv", "application/csv", "text/plain"}),
        frozenset({"csv"}),
    ),
    Kind("txt", "text/plain", frozenset({"text/plain"}), frozenset({"txt"})),
    # A short .eml whose first header libmagic does not know reads as text/plain.
    Kind("eml", "message/rfc822", frozenset({"message/rfc822", "text/plain"}), frozenset({"eml"})),
    Kind(
        "msg",
        "application/vnd.ms-outlook",
        frozenset({"application/vnd.ms-outlook"}),
        frozenset({"msg"}),
    ),
)
ALLOWED_EXTENSIONS = frozenset(ext for kind in KINDS for ext in kind.extensions)
TEXT_KINDS = frozenset({"csv", "txt", "eml"})
OOXML_KINDS = frozenset({"docx", "xlsx"})

# Extensions that must never hide inside a name ("invoice.pdf.exe", "scan.exe.pdf").
DANGEROUS_EXTENSIONS = frozenset(
    {
        # executables and installers
        "exe", "dll", "com", "scr", "pif", "msi", "msp", "msix", "appx", "cpl", "sys", "drv",
        "elf", "bin", "so", "dylib", "app", "apk", "deb", "rpm", "dmg", "pkg", "jar", "class",
        # scripts
        "bat", "cmd", "ps1", "psm1", "vbs", "vbe", "js", "jse", "mjs", "wsf", "wsh", "hta",
        "sh", "bash", "zsh", "py", "pyw", "pl", "rb", "php", "phtml", "asp", "aspx", "jsp",
        "lnk", "url", "reg", "inf", "scf", "chm", "iso", "img", "vhd", "vhdx",
        # active documents
        "html", "htm", "xhtml", "shtml", "svg", "svgz", "xml", "xsl", "mht", "mhtml",
        "docm", "dotm", "xlsm", "xltm", "xlam", "xlsb", "pptm", "potm", "ppam", "ppsm", "sldm",
        # archives
        "zip", "rar", "7z", "tar", "gz", "tgz", "bz2", "xz", "cab", "arj", "lzh", "ace",
    }
)  # fmt: skip
MACRO_EXTENSIONS = frozenset(
    {"docm", "dotm", "xlsm", "xltm", "xlam", "xlsb", "pptm", "potm", "ppam", "ppsm", "sldm"}
)

MAX_NAME_LENGTH = 255
# Windows device names: "con.pdf" cannot be saved on a Windows desktop.
_RESERVED_NAMES = frozenset(
    {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(10)} | {f"lpt{i}" for i in range(10)}
)
_FORBIDDEN_CHARS = re.compile(r'[<>:"/\\|?*]')
_SPACES = re.compile(r"\s+")

# Browsers sniff the first 512 bytes; PDF readers accept a header in the first 1024.
_HEAD_BYTES = 4096
_HTML_MARKERS = (
    b"<script", b"<html", b"<!doctype html", b"<svg", b"<iframe", b"<body", b"<?php",
    b"<object", b"<embed", b"javascript:",
)  # fmt: skip
_ZIP_LOCAL = b"PK\x03\x04"
_ZIP_EOCD = b"PK\x05\x06"
_ZIP_TAIL_BYTES = 65_536 + 22  # the end-of-central-directory record sits in this tail
_ZIP_MAX_ENTRIES = 20_000

_local = threading.local()


def _magic() -> magic.Magic:
    """libmagic handles are not thread-safe: one per thread."""
    handle = getattr(_local, "magic", None)
    if handle is None:
        handle = _local.magic = magic.Magic(mime=True)
    return handle


@dataclass(frozen=True)
class ValidatedUpload:
    kind: Kind
    mime_type: str
    file_name: str  # sanitized
    detected_type: str


def clean_original_name(name: str) -> str:
    """The client's name kept for the record: no NULs or control characters, bounded."""
    name = "".join(ch for ch in str(name) if unicodedata.category(ch)[0] != "C")
    return name.strip()[:MAX_NAME_LENGTH] or "file"


def sanitize_file_name(name: str) -> str:
    """A name that is safe on every OS and in a Content-Disposition header.

    Drops directories ("../../etc/passwd" → "passwd"), control and format characters
    (including bidi overrides such as U+202E that make "fdp.exe" look like "exe.pdf"),
    characters forbidden on Windows, leading/trailing dots and spaces; NFKC-normalizes
    look-alike characters (full-width dots and letters become ASCII); keeps the extension when shortening.
    """
    name = unicodedata.normalize("NFKC", str(name))
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] not in ("C", "Z") or ch == " ")
    name = _FORBIDDEN_CHARS.sub("_", name)
    name = _SPACES.sub(" ", name).strip(" .")
    if not name or set(name) <= {"_", " ", "."}:
        raise FileNameInvalidError(details={"reason": "empty"})
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    stem, ext = stem.rstrip(" ."), ext.strip()
    if not stem:
        raise FileNameInvalidError(details={"reason": "no name before the extension"})
    if stem.split(".")[0].strip().lower() in _RESERVED_NAMES:
        stem = f"_{stem}"
    if len(name) > MAX_NAME_LENGTH:
        keep = MAX_NAME_LENGTH - (len(ext) + 1 if ext else 0)
        stem = stem[:keep].rstrip(" .")
    return f"{stem}.{ext}" if ext else stem


def _extensions(file_name: str) -> list[str]:
    parts = file_name.lower().split(".")
    return [part.strip() for part in parts[1:]]


def check_double_extension(file_name: str) -> None:
    """Refuse names with a dangerous extension anywhere ("a.pdf.exe", "a.exe.pdf", "a.js.txt").

    Version-like segments ("policy.v2.pdf", "scan.2024.01.pdf") are fine.
    """
    extensions = _extensions(file_name)
    if len(extensions) < 2:
        return
    inner = extensions[:-1]
    if any(ext in DANGEROUS_EXTENSIONS for ext in extensions) and (
        any(ext in DANGEROUS_EXTENSIONS for ext in inner) or inner[-1] in ALLOWED_EXTENSIONS
    ):
        raise FileDoubleExtensionError(details={"file_name": file_name})


def detect_mime_type(path: Path) -> str:
    return _magic().from_file(str(path)).split(";")[0].strip().lower()


def _read_head_tail(path: Path, size: int) -> tuple[bytes, bytes]:
    with open(path, "rb") as fh:
        head = fh.read(_HEAD_BYTES)
        if size > _ZIP_TAIL_BYTES:
            fh.seek(size - _ZIP_TAIL_BYTES)
        else:
            fh.seek(0)
        tail = fh.read()
    return head, tail


def _ooxml_kind(path: Path, extension: str) -> str | None:
    """'docx'/'xlsx' for an Office Open XML zip; raises on macros; None for other zips."""
    try:
        container = office_container_inspect(path)
    except OfficeContainerUnreadableError as exc:
        raise FileCorruptError(details={"reason": "unreadable zip container"}) from exc
    if container.entries > _ZIP_MAX_ENTRIES:
        raise FileTypeNotAllowedError(details={"detected_type": "application/zip"})
    if container.has_macros or extension in MACRO_EXTENSIONS:
        raise FileMacroEnabledError(details={"extension": extension})
    return container.kind


def _check_polyglot(kind: Kind, head: bytes, tail: bytes) -> None:
    lowered = head.lower()
    if kind.name not in OOXML_KINDS and (head.startswith(_ZIP_LOCAL) or _ZIP_EOCD in tail):
        # e.g. a JPEG or PDF with a zip/jar appended (GIFAR): readers see two files.
        raise FilePolyglotError(details={"detected_type": kind.mime_type, "also": "zip"})
    if kind.name != "pdf" and b"%pdf-" in lowered[:1024]:
        raise FilePolyglotError(details={"detected_type": kind.mime_type, "also": "pdf"})
    if kind.name in ("pdf", "png", "jpeg", "gif", "webp", "txt", "csv") and any(
        marker in lowered for marker in _HTML_MARKERS
    ):
        # Content a browser would sniff as HTML/script if ever served inline.
        raise FilePolyglotError(details={"detected_type": kind.mime_type, "also": "html"})


def _check_image(path: Path) -> None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise FileCorruptError(details={"reason": "unreadable image"}) from exc
    except Image.DecompressionBombError:
        pass  # a legitimate scan can be huge; the thumbnail step refuses to decode it


def validate_upload(*, path: Path, size: int, original_name: str) -> ValidatedUpload:
    """Everything that decides whether stored bytes may become a File; raises a 400 error."""
    if size == 0:
        raise FileEmptyError()
    file_name = sanitize_file_name(original_name)
    check_double_extension(file_name)
    extensions = _extensions(file_name)
    extension = extensions[-1] if extensions else ""
    if extension in MACRO_EXTENSIONS:
        raise FileMacroEnabledError(details={"extension": extension})

    detected = detect_mime_type(path)
    head, tail = _read_head_tail(path, size)
    kind_name: str | None = None
    if detected in ("application/zip", OOXML_DOCX, OOXML_XLSX) or detected.startswith(
        "application/vnd.ms-excel.sheet.macroenabled"
    ):
        if not head.startswith(_ZIP_LOCAL):  # zip with something glued in front (SFX, polyglot)
            raise FilePolyglotError(details={"detected_type": detected, "also": "zip"})
        kind_name = _ooxml_kind(path, extension)
        if kind_name is None:
            raise FileTypeNotAllowedError(details={"detected_type": "application/zip"})
    elif "macroenabled" in detected or "vba" in detected:
        raise FileMacroEnabledError(details={"detected_type": detected})
    else:
        candidates = [kind for kind in KINDS if detected in kind.detected]
        if not candidates:
            raise FileTypeNotAllowedError(details={"detected_type": detected})
        # text/plain fits csv, txt and eml: the extension picks which.
        by_ext = [kind for kind in candidates if extension in kind.extensions]
        kind_name = (by_ext or candidates)[0].name

    kind = next(kind for kind in KINDS if kind.name == kind_name)
    _check_polyglot(kind, head, tail)
    if extension not in kind.extensions:
        raise FileExtensionMismatchError(
            details={
                "extension": extension,
                "detected_type": detected,
                "expected": sorted(kind.extensions),
            }
        )
    if kind.name in TEXT_KINDS and b"\x00" in head:
        raise FileTypeNotAllowedError(details={"detected_type": "application/octet-stream"})
    if kind.image:
        _check_image(path)
    return ValidatedUpload(
        kind=kind, mime_type=kind.mime_type, file_name=file_name, detected_type=detected
    )
