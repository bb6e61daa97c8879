"""The Content-Disposition header of every download we serve (issue 13, hole 9).

Names come from users (an uploaded batch's file name, a document's name), so a name must
never add a header, a parameter or another extension. Every download builds the header
here, with Django's `content_disposition_header` (RFC 6266: a quoted ASCII `filename`, or
`filename*=utf-8''…` for other names), after dropping what no file name needs.
"""

import unicodedata

from django.utils.http import content_disposition_header

# Quotes and backslashes are legal (escaped) in a quoted-string, but browsers have parsed
# escapes differently; path separators are never part of a downloaded name.
_REPLACED = str.maketrans({'"': "_", "\\": "_", "/": "_"})
DEFAULT_NAME = "download"


def download_name(file_name: str) -> str:
    """A name for a download: no control or format characters (CR, LF, NUL, bidi overrides),
    no quotes, backslashes or slashes; never empty."""
    name = "".join(ch for ch in str(file_name) if unicodedata.category(ch)[0] != "C")
    return name.translate(_REPLACED).strip() or DEFAULT_NAME


def content_disposition(file_name: str, *, inline: bool = False) -> str:
    """`attachment` (or `inline`) with the cleaned name, built by Django."""
    # Django answers None only for an inline response without a name; ours always has one.
    return content_disposition_header(not inline, download_name(file_name)) or ""
