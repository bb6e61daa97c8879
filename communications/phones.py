"""Phone numbers for SMS and WhatsApp: validated and written E.164 with `phonenumbers`."""

import phonenumbers
from django.conf import settings


def phone_e164(value: str) -> str | None:
    """`value` as E.164 (`+919812345678`), or None when it is not a valid number.

    Numbers without a country code are read in PHONE_DEFAULT_REGION; "00" is an international
    prefix like "+".
    """
    text = (value or "").strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
