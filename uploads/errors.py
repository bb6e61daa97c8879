"""Errors of batch uploads. Codes are API contracts: never rename one."""

from intelipro.api.errors import DomainError


class UploadFileError(DomainError):
    """The uploaded file was refused before anything was written (400)."""

    code = "upload_invalid_file"
    status_code = 400
    message = "The file cannot be imported."


class UploadFileTooLargeError(UploadFileError):
    code = "upload_file_too_large"
    status_code = 413  # as the ASGI body limit answers for the same path
    message = "The file is larger than the upload limit."


class UploadFileEmptyError(UploadFileError):
    code = "upload_file_empty"
    message = "The file has no data rows."


class UploadUnsupportedTypeError(UploadFileError):
    code = "upload_unsupported_type"
    message = "Only .csv and .xlsx files are accepted, and their content must match the name."


class UploadMacroEnabledError(UploadFileError):
    code = "upload_macro_enabled"
    message = "Macro-enabled workbooks (.xlsm) are refused; save the sheet as .xlsx."


class UploadLegacyExcelError(UploadFileError):
    code = "upload_legacy_xls"
    message = "Legacy Excel 97-2003 (.xls) files are refused; save the sheet as .xlsx."


class UploadEncryptedError(UploadFileError):
    code = "upload_encrypted"
    message = "The file is password-protected; remove the password and upload it again."


class UploadZipBombError(UploadFileError):
    code = "upload_zip_bomb"
    message = "The workbook expands to an unreasonable size and was refused."


class UploadCorruptFileError(UploadFileError):
    code = "upload_corrupt_file"
    message = "The file is damaged or not a readable workbook."


class UploadHeaderMissingError(UploadFileError):
    code = "upload_header_missing"
    message = "No header row with the expected column names was found."


class UploadMissingColumnsError(UploadFileError):
    code = "upload_missing_columns"
    message = "Required columns are missing from the header row."


class UploadDuplicateColumnsError(UploadFileError):
    code = "upload_duplicate_columns"
    message = "A column appears more than once in the header row."


class UploadTooManyRowsError(UploadFileError):
    code = "upload_too_many_rows"
    message = "The file has more rows than one batch may hold."


class UploadBatchInvalidStateError(DomainError):
    code = "upload_batch_invalid_state"
    status_code = 409
    message = "The batch is not in a state that allows this."


class UploadApprovalSelfError(DomainError):
    """Maker-checker: the person who uploaded a batch cannot approve it."""

    code = "upload_approval_self"
    status_code = 403
    message = "A batch must be approved by someone other than its uploader."
