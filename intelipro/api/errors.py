"""Domain errors: app code raises these; the exception handler turns them into the envelope.

Subclasses live in `<app>/errors.py`, are named `<Thing><Problem>Error` and carry a snake_case
`code` that is an API contract (never rename one).
"""

from typing import Any


class DomainError(Exception):
    code = "domain_error"
    status_code = 409
    message = "The request conflicts with the current state."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        details: dict[str, Any] | None = None,
        status_code: int | None = None,
    ) -> None:
        self.message = message or self.message
        self.code = code or self.code
        self.details = details or {}
        if status_code is not None:
            self.status_code = status_code
        super().__init__(self.message)


class NotFoundError(DomainError):
    code = "not_found"
    status_code = 404
    message = "Not found."
