"""Every write of the files app, by sub-domain (upload, scanning, thumbnails, deletion,
moderation by admins, serving); `blobs` holds the stored-content state they share.

Lock order is always blob, then file (scan results update a blob's files; a delete locks
the blob before the file), so two writers never wait on each other in opposite orders.
No network I/O (storage, clamd) runs inside a transaction: content is stored first and a
row that fails to commit has its object removed; follow-up work is enqueued on commit.

The public names are re-exported here: `from files.services import file_upload` keeps working.
"""

from files.services.deletion import file_blob_purge, file_delete, file_unreferenced_blobs_purge
from files.services.moderation import file_quarantine, file_rescan, file_restore
from files.services.scanning import (
    file_blob_scan,
    file_blob_scan_record,
    file_pending_scans_requeue,
)
from files.services.serving import (
    PUBLIC_LINK_SALT,
    file_download_record,
    file_public_link_create,
    file_public_link_resolve,
    file_servable_check,
)
from files.services.thumbnails import file_blob_thumbnail_generate
from files.services.upload import IncomingUpload, file_upload

__all__ = [
    "PUBLIC_LINK_SALT",
    "IncomingUpload",
    "file_blob_purge",
    "file_blob_scan",
    "file_blob_scan_record",
    "file_blob_thumbnail_generate",
    "file_delete",
    "file_download_record",
    "file_pending_scans_requeue",
    "file_public_link_create",
    "file_public_link_resolve",
    "file_quarantine",
    "file_rescan",
    "file_restore",
    "file_servable_check",
    "file_unreferenced_blobs_purge",
    "file_upload",
]
