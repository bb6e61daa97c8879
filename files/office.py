"""What an Office Open XML container (docx, xlsx: a zip) holds: the one macro/zip check
shared by document uploads (files.validation) and renewal files (uploads.readers).

`office_container_inspect` reads only the zip's central directory and at most
CONTENT_TYPES_MAX bytes of `[Content_Types].xml`, so a hostile zip (a bomb, thousands of
entries) costs little. It decides nothing: each caller applies its own limits and answers
with its own error codes (`file_*` and `upload_*` codes are API contracts).
"""

import zipfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import IO

# Reading [Content_Types].xml of a hostile zip: cap what we decompress.
CONTENT_TYPES_MAX = 1024 * 1024
# Parts and content types that carry code: VBA projects, ActiveX controls, macro-enabled
# content types (xlsm/docm saved as .xlsx keep "macroEnabled" in [Content_Types].xml).
_MACRO_CONTENT_TYPES = (b"macroenabled", b"vbaproject", b"ms-office.activex")

DOCX = "docx"
XLSX = "xlsx"


class OfficeContainerUnreadableError(ValueError):
    """Not a readable zip (truncated, damaged, an unsupported compression)."""


@dataclass(frozen=True)
class OfficeContainer:
    """The facts of one zip container, read from its central directory."""

    names: frozenset[str]  # entry names, lower case
    content_types: bytes  # [Content_Types].xml, lower case, capped; b"" when absent
    sizes: tuple[tuple[int, int], ...]  # (uncompressed, compressed) per entry
    encrypted: bool  # some entry is encrypted (zip "traditional" or AES flag)

    @property
    def entries(self) -> int:
        return len(self.sizes)

    @cached_property
    def uncompressed_bytes(self) -> int:
        return sum(size for size, _ in self.sizes)

    @cached_property
    def compressed_bytes(self) -> int:
        return sum(packed for _, packed in self.sizes)

    def expansion_ratio(self, *, floor: int) -> float:
        """The worst expansion (whole archive, or any entry) among parts bigger than `floor`
        bytes unpacked; 0 below it (an empty sheet compresses extremely well)."""
        whole = self.uncompressed_bytes / max(self.compressed_bytes, 1)
        worst = max(
            (size / max(packed, 1) for size, packed in self.sizes if size > floor), default=0.0
        )
        return max(whole if self.uncompressed_bytes > floor else 0.0, worst)

    @cached_property
    def has_macros(self) -> bool:
        """A VBA project, ActiveX controls or a macro-enabled content type."""
        return any(
            name.endswith("vbaproject.bin") or "/activex/" in f"/{name}" for name in self.names
        ) or any(marker in self.content_types for marker in _MACRO_CONTENT_TYPES)

    @cached_property
    def kind(self) -> str | None:
        """ "docx" or "xlsx" for an Office Open XML package; None for any other zip."""
        if not self.content_types:
            return None
        types = self.content_types
        if "word/document.xml" in self.names or b"wordprocessingml.document.main" in types:
            return DOCX
        if "xl/workbook.xml" in self.names or b"spreadsheetml.sheet.main" in types:
            return XLSX
        return None


def office_container_inspect(source: Path | str | IO[bytes]) -> OfficeContainer:
    """The facts of the zip at `source` (a path or a seekable binary file object).

    Raises OfficeContainerUnreadableError when it is not a readable zip.
    """
    try:
        with zipfile.ZipFile(source) as archive:
            infos = archive.infolist()
            content_types = b""
            for info in infos:
                # An encrypted entry cannot be read; `encrypted` reports it.
                if info.filename == "[Content_Types].xml" and not info.flag_bits & 0x1:
                    with archive.open(info) as fh:
                        content_types = fh.read(CONTENT_TYPES_MAX).lower()
                    break
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError) as exc:
        raise OfficeContainerUnreadableError(str(exc)) from exc
    except ValueError as exc:  # e.g. a negative seek in a damaged directory
        raise OfficeContainerUnreadableError(str(exc)) from exc
    return OfficeContainer(
        names=frozenset(info.filename.lower() for info in infos),
        content_types=content_types,
        sizes=tuple((info.file_size, info.compress_size) for info in infos),
        encrypted=any(info.flag_bits & 0x1 for info in infos),
    )
