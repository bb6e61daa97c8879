"""Receive an upload straight into a temp file, hashing and size-checking as it streams.

Django's default handlers keep up to FILE_UPLOAD_MAX_MEMORY_SIZE in memory and hash
nothing; this one never holds more than one chunk, computes the sha256 on the way, and
stops the request with 413 as soon as the limit is passed (and before reading anything
when Content-Length already says so).
"""

import hashlib
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler

from files.errors import FileTooLargeError

# Room for the other form fields and the multipart boundaries around the file.
MULTIPART_OVERHEAD_BYTES = 64 * 1024


class HashedTemporaryUploadedFile(TemporaryUploadedFile):
    sha256: str = ""


class HashingUploadHandler(FileUploadHandler):
    chunk_size = 1024 * 1024  # fewer Python-level iterations than Django's 64 KiB

    def __init__(self, request: Any = None, *, max_bytes: int | None = None) -> None:
        super().__init__(request)
        self.max_bytes = max_bytes if max_bytes is not None else settings.FILES_MAX_UPLOAD_BYTES

    def _too_large(self, size: int | None = None) -> FileTooLargeError:
        return FileTooLargeError(
            details={"max_bytes": self.max_bytes, **({"size": size} if size else {})}
        )

    def handle_raw_input(
        self,
        input_data: Any,
        META: dict,  # noqa: N803 - Django's signature
        content_length: int,
        boundary: str | bytes,  # bytes at run time; django-stubs says str
        encoding: str | None = None,
    ) -> None:
        if content_length and content_length > self.max_bytes + MULTIPART_OVERHEAD_BYTES:
            raise self._too_large(content_length)

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.size = 0
        self.hasher = hashlib.sha256()
        self.file = HashedTemporaryUploadedFile(
            self.file_name or "", self.content_type, 0, self.charset, self.content_type_extra
        )

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.size += len(raw_data)
        if self.size > self.max_bytes:
            self.file.close()  # deletes the temp file
            raise self._too_large()
        self.hasher.update(raw_data)
        self.file.write(raw_data)

    def file_complete(self, file_size: int) -> HashedTemporaryUploadedFile:
        self.file.seek(0)
        self.file.size = file_size
        self.file.sha256 = self.hasher.hexdigest()
        return self.file
