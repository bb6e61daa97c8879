"""Serving a document: may its content be served, the download audit, signed public links."""

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core import signing
from django.utils import timezone

from core.services import audit_log
from files.errors import (
    FileInfectedError,
    FileLinkExpiredError,
    FileLinkInvalidError,
    FileNotPublicError,
    FileQuarantinedError,
    FileScanFailedError,
    FileScanPendingError,
)
from files.models import File, ScanStatus

if TYPE_CHECKING:
    from accounts.models import User

PUBLIC_LINK_SALT = "files.public-link"


def file_servable_check(*, file: File) -> None:
    """Raise unless the file's content may be served (scan status)."""
    status = file.virus_scan_status
    if status == ScanStatus.CLEAN:
        return
    if status == ScanStatus.INFECTED:
        raise FileInfectedError(details={"file_id": file.pk})
    if status == ScanStatus.QUARANTINED:
        raise FileQuarantinedError(details={"file_id": file.pk})
    if status == ScanStatus.ERROR:
        raise FileScanFailedError(details={"file_id": file.pk})
    if not settings.FILES_ALLOW_PENDING_DOWNLOADS:
        raise FileScanPendingError(details={"file_id": file.pk})


def file_download_record(*, file: File, actor: "User | None", via: str) -> None:
    """Audit one download (the spec's audit list names file downloads)."""
    audit_log(
        action="file.download",
        actor=actor,
        obj=file,
        changes={"via": via, "file_name": file.file_name},
    )


def file_public_link_create(*, file: File, actor: "User") -> tuple[str, datetime]:
    """A signed token for the public route, valid FILES_PUBLIC_LINK_TTL_MINUTES."""
    if not file.is_public:
        raise FileNotPublicError(details={"file_id": file.pk})
    expires_at = timezone.now() + timedelta(minutes=settings.FILES_PUBLIC_LINK_TTL_MINUTES)
    token = signing.dumps(
        {"f": file.pk, "s": file.sha256[:16], "e": int(expires_at.timestamp())},
        salt=PUBLIC_LINK_SALT,
    )
    audit_log(
        action="file.link_create",
        actor=actor,
        obj=file,
        changes={"expires_at": expires_at.isoformat()},
    )
    return token, expires_at


def file_public_link_resolve(*, token: str) -> File:
    """The file a public link points to; raises FileLinkInvalidError / FileLinkExpiredError."""
    try:
        payload = signing.loads(token, salt=PUBLIC_LINK_SALT)
        file_id, digest, expires = int(payload["f"]), str(payload["s"]), int(payload["e"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise FileLinkInvalidError() from exc
    if timezone.now().timestamp() > expires:
        raise FileLinkExpiredError()
    file = File.objects.filter(
        pk=file_id, deleted_at__isnull=True, is_public=True, sha256__startswith=digest
    ).first()
    if file is None:
        raise FileLinkInvalidError()
    return file
