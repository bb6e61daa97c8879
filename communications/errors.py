"""Errors of communications (codes are API contracts)."""

from intelipro.api.errors import DomainError


class MessageChannelInvalidError(DomainError):
    code = "validation_error"
    status_code = 400
    message = "Unknown channel."


class MessageRefusedError(DomainError):
    """The gate refused the send; `code` is the refusal reason (`consent_missing`,
    `suppressed`, `daily_cap_reached`, `channel_not_configured`, ...). The refused `Message`
    row exists; its id is in `details`."""

    status_code = 409
    message = "The message was refused by the send gate."


class PhoneNumberInvalidError(DomainError):
    code = "invalid_phone_number"
    status_code = 400
    message = "The customer's phone number is not a valid number."


class TwilioSignatureInvalidError(DomainError):
    code = "webhook_signature_invalid"
    status_code = 401
    message = "The Twilio signature is missing or wrong."
