"""HTTP details of serving a file."""

from urllib.parse import quote


def content_disposition(file_name: str, *, inline: bool = False) -> str:
    """RFC 6266: an ASCII fallback plus the exact UTF-8 name (filename*)."""
    ascii_name = (
        file_name.encode("ascii", "ignore").decode().replace('"', "").replace("\\", "") or "file"
    )
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(file_name, safe='')}"
