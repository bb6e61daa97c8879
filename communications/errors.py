"""Errors of communications (codes are API contracts)."""

from intelipro.api.errors import DomainError


class MessageChannelInvalidError(DomainError):
    code = "validation_error"
    status_code = 400
    message = "Unknown channel."
