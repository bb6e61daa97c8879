"""Cells of every CSV/XLSX we hand out: no formula injection (issue 13, hole 8).

A cell whose text begins with `=`, `+`, `-`, `@`, a tab or a carriage return is read by
Excel, LibreOffice and Google Sheets as a formula (`=HYPERLINK(...)`, `=cmd|...`). Every
export passes its rows through `row_safe` (or its cells through `cell_safe`), which prefixes
such text with an apostrophe so it is shown as text (OWASP "CSV injection"). Numbers,
dates and other non-text cells are left alone.

Our own files come back (an errors.csv is fixed and re-uploaded): `cell_unescape` removes
that one apostrophe again when the file is read.
"""

from collections.abc import Iterable
from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
ESCAPE = "'"


def cell_safe(value: Any) -> Any:
    """`value`, with an apostrophe in front when it is text a spreadsheet would evaluate."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return ESCAPE + value
    return value


def row_safe(values: Iterable[Any]) -> list[Any]:
    return [cell_safe(value) for value in values]


def cell_unescape(text: str) -> str:
    """The reverse of `cell_safe` for text read back from a file we produced."""
    if text.startswith(ESCAPE) and text[1:2] and text[1:2] in FORMULA_TRIGGERS:
        return text[1:]
    return text
