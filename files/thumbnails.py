"""Thumbnails: images with Pillow, the first page of a PDF with pypdfium2 (PDFium).

PDFium is the PDF engine of Chromium, fuzzed continuously; pypdfium2 ships it as a wheel
(no system library, no Ghostscript/poppler subprocess) and renders one page to a PIL image.
Decompression bombs: the pixel count is checked from the header before any decoding, and
Pillow's own guard (DecompressionBombError) stays on.
"""

import io
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from PIL import Image, ImageOps

IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
PDF_TYPE = "application/pdf"


class ThumbnailError(Exception):
    """The content cannot be thumbnailed (corrupt, too many pixels): recorded, not retried."""


@dataclass(frozen=True)
class Thumbnail:
    data: bytes
    extension: str  # "jpg" | "png"
    content_type: str


def can_thumbnail(mime_type: str) -> bool:
    return mime_type in IMAGE_TYPES or mime_type == PDF_TYPE


def _encode(image: Image.Image) -> Thumbnail:
    out = io.BytesIO()
    if image.mode in ("RGBA", "LA", "P") and (image.mode != "P" or "transparency" in image.info):
        image.convert("RGBA").save(out, "PNG", optimize=True)
        return Thumbnail(out.getvalue(), "png", "image/png")
    image.convert("RGB").save(out, "JPEG", quality=82, optimize=True)
    return Thumbnail(out.getvalue(), "jpg", "image/jpeg")


def _image_thumbnail(path: Path, size: int) -> Thumbnail:
    max_pixels = settings.FILES_THUMBNAIL_MAX_PIXELS
    try:
        with Image.open(path) as image:
            width, height = image.size
            if width * height > max_pixels:
                raise ThumbnailError(f"{width}x{height} px is over the {max_pixels} px limit")
            image.draft("RGB", (size, size))  # JPEG: decode at reduced scale
            image.seek(0)  # first frame of an animation
            upright = ImageOps.exif_transpose(image)
            upright.thumbnail((size, size))
            return _encode(upright)
    except Image.DecompressionBombError as exc:
        raise ThumbnailError(str(exc)) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise ThumbnailError(f"unreadable image: {exc}") from exc


def _pdf_thumbnail(path: Path, size: int) -> Thumbnail:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:  # encrypted or corrupt
        raise ThumbnailError(f"unreadable PDF: {exc}") from exc
    try:
        if len(pdf) == 0:
            raise ThumbnailError("PDF has no pages")
        page = pdf[0]
        width, height = page.get_size()  # points
        scale = size / max(width, height, 1)
        bitmap = page.render(scale=scale)
        image = bitmap.to_pil()
        return _encode(image)
    except pdfium.PdfiumError as exc:
        raise ThumbnailError(f"PDF page could not be rendered: {exc}") from exc
    finally:
        pdf.close()


def thumbnail_render(*, path: Path, mime_type: str, size: int | None = None) -> Thumbnail:
    size = size or settings.FILES_THUMBNAIL_SIZE
    if mime_type in IMAGE_TYPES:
        return _image_thumbnail(path, size)
    if mime_type == PDF_TYPE:
        return _pdf_thumbnail(path, size)
    raise ThumbnailError(f"no thumbnail for {mime_type}")
