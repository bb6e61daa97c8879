"""Where file contents live: the `files` storage alias (S3 when AWS_BUCKET_NAME is set,
MEDIA_ROOT on disk otherwise). Keys are random; the user's file name never reaches storage."""

import secrets
from typing import IO

from django.conf import settings
from django.core.files import File as DjangoFile
from django.core.files.storage import Storage, storages


def files_storage() -> Storage:
    return storages["files"]


def is_remote(storage: Storage | None = None) -> bool:
    """True when downloads can be handed to the storage (S3 presigned URL)."""
    from storages.backends.s3 import S3Storage

    return isinstance(storage or files_storage(), S3Storage)


def new_content_key() -> str:
    token = secrets.token_hex(16)
    return f"files/{token[:2]}/{token[2:4]}/{token}"


def thumbnail_key_for(content_key: str, extension: str) -> str:
    return f"thumbnails/{content_key.removeprefix('files/')}-{secrets.token_hex(4)}.{extension}"


def content_save(*, key: str, content: IO[bytes]) -> str:
    """Store bytes under `key`; returns the key actually used. An uploaded temp file
    (`temporary_file_path()`) is moved rather than copied on local disk."""
    if not isinstance(content, DjangoFile):
        content = DjangoFile(content, name=key)
    content.seek(0)
    return files_storage().save(key, content)


def content_open(key: str) -> IO[bytes]:
    return files_storage().open(key, "rb")


def content_delete(key: str) -> None:
    """Idempotent: deleting a missing object is not an error."""
    if key:
        files_storage().delete(key)


def presigned_download_url(*, key: str, file_name: str, content_type: str) -> str:
    """A short-lived S3 URL whose response carries our name and type (not S3's)."""
    from core.downloads import content_disposition

    return files_storage().url(
        key,
        parameters={
            "ResponseContentDisposition": content_disposition(file_name),
            "ResponseContentType": content_type,
        },
        expire=settings.FILES_PRESIGNED_URL_TTL_SECONDS,
    )
