"""Errors of the files app. Codes are API contracts: never rename one."""

from intelipro.api.errors import DomainError


class FileValidationError(DomainError):
    """The upload was refused because of its content or name (400)."""

    code = "file_invalid"
    status_code = 400
    message = "The file was refused."


class FileEmptyError(FileValidationError):
    code = "file_empty"
    message = "The file is empty."


class FileMissingError(FileValidationError):
    code = "file_required"
    message = "Send the document in the multipart field `file`."


class FileTooLargeError(DomainError):
    code = "file_too_large"
    status_code = 413
    message = "The file is larger than the upload limit."


class FileTypeNotAllowedError(FileValidationError):
    code = "file_type_not_allowed"
    message = "This type of file is not accepted."


class FileExtensionMismatchError(FileValidationError):
    code = "file_extension_mismatch"
    message = "The file name's extension does not match its content."


class FileDoubleExtensionError(FileValidationError):
    code = "file_double_extension"
    message = "File names with a hidden second extension are not accepted."


class FileMacroEnabledError(FileValidationError):
    code = "file_macro_enabled"
    message = "Office files with macros are not accepted."


class FilePolyglotError(FileValidationError):
    code = "file_polyglot"
    message = "The file is valid as more than one type and was refused."


class FileNameInvalidError(FileValidationError):
    code = "file_name_invalid"
    message = "The file name is not usable."


class FileCorruptError(FileValidationError):
    code = "file_corrupt"
    message = "The file could not be read as the type it claims to be."


class EntityTypeUnknownError(DomainError):
    code = "entity_type_invalid"
    status_code = 400
    message = "Unknown entity type."


class EntityNotFoundError(DomainError):
    """The record to attach to does not exist, or the caller may not see it (same answer)."""

    code = "entity_not_found"
    status_code = 400
    message = "The record to attach the file to was not found."


class FileInfectedError(DomainError):
    code = "file_infected"
    status_code = 409
    message = "The file is infected and quarantined; it cannot be downloaded."


class FileQuarantinedError(DomainError):
    code = "file_quarantined"
    status_code = 409
    message = "The file is quarantined; it cannot be downloaded."


class FileScanPendingError(DomainError):
    code = "file_scan_pending"
    status_code = 409
    message = "The file has not been scanned yet; try again shortly."


class FileScanFailedError(DomainError):
    code = "file_scan_failed"
    status_code = 409
    message = "The virus scanner could not check this file; it cannot be downloaded."


class FileNotPublicError(DomainError):
    code = "file_not_public"
    status_code = 409
    message = "Only public files have shareable links."


class FileThumbnailNotAvailableError(DomainError):
    code = "thumbnail_not_available"
    status_code = 404
    message = "This file has no thumbnail."


class FileThumbnailPendingError(DomainError):
    code = "thumbnail_pending"
    status_code = 409
    message = "The thumbnail is being generated; try again shortly."


class FileUploadForbiddenError(DomainError):
    code = "file_upload_forbidden"
    status_code = 403
    message = "Your role may not upload files."


class FileDeleteForbiddenError(DomainError):
    code = "file_delete_forbidden"
    status_code = 403
    message = "Only the uploader, a manager or an admin may delete this file."


class FileLinkInvalidError(DomainError):
    code = "file_link_invalid"
    status_code = 404
    message = "This link is invalid or has expired."


class FileLinkExpiredError(FileLinkInvalidError):
    code = "file_link_expired"
    status_code = 410
    message = "This link has expired."


class ScannerUnavailableError(Exception):
    """The scanner could not be reached (transient: the scan is retried with backoff)."""
