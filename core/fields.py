"""Column-level encryption for PII and stored secrets (spec: "column-level encryption for PII data").

Why a small field over `cryptography.fernet.MultiFernet` rather than django-fernet-encrypted-fields:

- Rotation is the point. MultiFernet decrypts with any listed key and encrypts with the first,
  and `MultiFernet.rotate()` re-encrypts a token under the newest key; `manage.py rotate_keys`
  is built on exactly that. django-fernet-encrypted-fields derives its keys from SECRET_KEY plus
  salts (SALT_KEY), so rotating the data key means rotating Django's secret as well (sessions,
  password-reset tokens, signed cookies) and its fields offer no re-encryption command.
- `cryptography` is already a pinned dependency (and was verified with this set, see
  DEPENDENCIES.md); the package would add a dependency for ~100 lines we fully control.
- We need field variants that keep the API contract (an EmailField stays an EmailField to DRF and
  drf-spectacular; a DateField still serializes as a date; a JSONField as JSON) while the column
  is text. The mixin below does that for any Django field class.

Storage: the column is `text`, holding a Fernet token (`gAAAA...`, AES-128-CBC + HMAC-SHA256,
with a timestamp). NULL stays NULL and the empty string stays empty (both carry no secret and
keep `blank=True` semantics); every other value is encrypted. Tokens are randomised, so the
column cannot be searched, ordered or indexed: only `isnull` is allowed as a lookup, anything
else raises `FieldError` instead of silently matching nothing. For exact-match search, store
`keyed_hash(normalized value)` in a separate indexed column (HMAC-SHA256 under FIELD_HASH_KEY,
a key distinct from the encryption keys, so the hash column alone does not let anyone test
guesses without that key).

Keys: settings.FIELD_ENCRYPTION_KEYS, a list of Fernet keys, newest first (env
`FIELD_ENCRYPTION_KEYS`, comma-separated). Generate one with
`python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`.
To rotate: put the new key first, deploy, run `manage.py rotate_keys --commit`, then drop the
old key.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import phonenumbers
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

__all__ = [
    "EncryptedCharField",
    "EncryptedDateField",
    "EncryptedEmailField",
    "EncryptedFieldMixin",
    "EncryptedJSONField",
    "EncryptedTextField",
    "EncryptionKeyError",
    "KeyedHashField",
    "decrypt_str",
    "encrypt_str",
    "encrypted_fields",
    "is_current_token",
    "is_token",
    "keyed_hash",
    "normalize_email",
    "normalize_phone",
    "rotate_token",
]

# Lookups that do not need to compare ciphertext with a plaintext value.
_ALLOWED_LOOKUPS = frozenset({"isnull"})


class EncryptionKeyError(ImproperlyConfigured):
    """A token could not be decrypted with any configured key, or no key is configured."""


@lru_cache(maxsize=8)
def _multifernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise EncryptionKeyError(
            "FIELD_ENCRYPTION_KEYS is empty: set it to one or more Fernet keys, newest first."
        )
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except (ValueError, TypeError) as exc:
        # Never echo the key itself.
        raise EncryptionKeyError(
            "FIELD_ENCRYPTION_KEYS holds a value that is not a Fernet key "
            "(32 url-safe base64-encoded bytes)."
        ) from exc


@lru_cache(maxsize=8)
def _primary(key: str) -> Fernet:
    return Fernet(key)


def _keys() -> tuple[str, ...]:
    # Read at call time (not import time) so settings overrides and key rotation apply.
    return tuple(k.strip() for k in getattr(settings, "FIELD_ENCRYPTION_KEYS", ()) if k.strip())


def encrypt_str(plaintext: str) -> str:
    """Encrypt under the newest key; returns the Fernet token as text."""
    return _multifernet(_keys()).encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt_str(token: str) -> str:
    """Decrypt a token made under any configured key."""
    try:
        return _multifernet(_keys()).decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeEncodeError) as exc:
        raise EncryptionKeyError(
            "An encrypted column holds a value that no key in FIELD_ENCRYPTION_KEYS decrypts "
            "(a key was removed before `rotate_keys --commit`, or the value is not a token)."
        ) from exc


def is_current_token(token: str) -> bool:
    """True when the token is already encrypted under the newest key (rotation can skip it)."""
    keys = _keys()
    _multifernet(keys)  # validates the configuration with a clear error
    try:
        _primary(keys[0]).decrypt(token.encode("ascii"))
    except (InvalidToken, UnicodeEncodeError):
        return False
    return True


def is_token(value: str) -> bool:
    """True when the value is a token some configured key decrypts (already encrypted)."""
    try:
        _multifernet(_keys()).decrypt(value.encode("ascii"))
    except (InvalidToken, UnicodeEncodeError):
        return False
    return True


def rotate_token(token: str) -> str:
    """Re-encrypt a token under the newest key (it may have been made under any listed key)."""
    try:
        return _multifernet(_keys()).rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeEncodeError) as exc:
        raise EncryptionKeyError("A token could not be decrypted with any configured key.") from exc


def keyed_hash(value: str) -> str:
    """HMAC-SHA256 of an already normalized value under FIELD_HASH_KEY, as 64 hex characters.

    For exact-match lookup columns beside an encrypted column (e.g. `email_hash` for `email`).
    The caller normalizes first (lowercase email, E.164 phone) so equal values hash equally.
    The empty string hashes to the empty string: "no value" needs no secret and stays
    distinguishable from a real value without a key.
    """
    if value == "":
        return ""
    key = getattr(settings, "FIELD_HASH_KEY", "")
    if not key:
        raise EncryptionKeyError("FIELD_HASH_KEY is empty: set it to a long random secret.")
    return hmac.new(key.encode("utf-8"), value.encode("utf-8"), hashlib.sha256).hexdigest()


class EncryptedFieldMixin:
    """Turns a Django field into one stored as a Fernet token in a text column.

    The Python value, forms, DRF serializers and the OpenAPI schema are those of the base field
    class (EmailField stays an email, DateField a date); only the column changes. Subclasses of
    non-text fields implement `to_plaintext` / `from_plaintext`.
    """

    encrypted = True

    def get_internal_type(self) -> str:
        return "TextField"

    def db_type(self, connection: Any) -> str | None:
        # CharField/EmailField would ask for varchar(max_length); a token is ~2-3x longer.
        return models.TextField().db_type(connection)

    def to_plaintext(self, value: Any) -> str:
        return str(value)

    def from_plaintext(self, text: str) -> Any:
        return text

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name not in _ALLOWED_LOOKUPS:
            return None  # Django raises FieldError("Unsupported lookup ...")
        return super().get_lookup(lookup_name)  # type: ignore[misc]

    def get_transform(self, lookup_name: str) -> Any:
        return None  # no key transforms, casts or date parts on ciphertext

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if not prepared:
            value = self.get_prep_value(value)  # type: ignore[attr-defined]
        if value is None or value == "":
            return value
        return encrypt_str(self.to_plaintext(value))

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        return self.from_plaintext(decrypt_str(value))


class EncryptedTextField(EncryptedFieldMixin, models.TextField):
    """Free text stored encrypted (stored secrets: webhook secrets, API keys, passwords)."""


class EncryptedCharField(EncryptedFieldMixin, models.CharField):
    """A CharField (max_length validated on the plaintext) stored encrypted in a text column."""


class EncryptedEmailField(EncryptedFieldMixin, models.EmailField):
    """An EmailField (validation and API format unchanged) stored encrypted in a text column."""


class EncryptedDateField(EncryptedFieldMixin, models.DateField):
    """A date stored as an encrypted ISO-8601 string (YYYY-MM-DD); the Python value is a date."""

    def get_prep_value(self, value: Any) -> Any:
        # DateField.get_prep_value -> to_python: accepts date, datetime and ISO strings.
        return self.to_python(value)

    def to_plaintext(self, value: datetime.date) -> str:
        return value.isoformat()

    def from_plaintext(self, text: str) -> datetime.date:
        return datetime.date.fromisoformat(text)


class EncryptedJSONField(EncryptedFieldMixin, models.JSONField):
    """JSON stored as an encrypted JSON document (e.g. an address or KYC document details).

    `None` is stored as SQL NULL (never as JSON null) so `isnull` keeps working.
    """

    def get_prep_value(self, value: Any) -> Any:
        return value

    def to_plaintext(self, value: Any) -> str:
        return json.dumps(value, cls=self.encoder, separators=(",", ":"), ensure_ascii=False)

    def from_plaintext(self, text: str) -> Any:
        return json.loads(text, cls=self.decoder)

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if value is None:
            return None
        return encrypt_str(self.to_plaintext(value))

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None:
            return None
        return self.from_plaintext(decrypt_str(value))


def normalize_email(value: str) -> str:
    """Exact-match form of an email address: trimmed, lowercased."""
    return (value or "").strip().lower()


def normalize_phone(value: str) -> str:
    """Exact-match form of a phone number: E.164 (`+919812345678`).

    Numbers without a country code are read in settings.PHONE_DEFAULT_REGION, so
    "098123 45678", "+91 98123-45678" and "0091 9812345678" all give the same value. Text that
    is not a valid number keeps its digits only (and a leading +), so it can still match
    itself exactly; text without digits normalizes to "" (no match).
    """
    text = (value or "").strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, getattr(settings, "PHONE_DEFAULT_REGION", None))
    except phonenumbers.NumberParseException:
        number = None
    if number is not None and phonenumbers.is_valid_number(number):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    digits = "".join(ch for ch in text if ch.isdigit())
    if not digits:
        return ""
    return ("+" if text.startswith("+") else "") + digits


_NORMALIZERS: dict[str, Callable[[str], str]] = {
    "email": normalize_email,
    "phone": normalize_phone,
    "text": str.strip,
}


class KeyedHashField(models.CharField):
    """Exact-match lookup column beside an encrypted one: HMAC-SHA256 of the normalized value.

    `source` names the encrypted field on the same model; `normalizer` is "email", "phone" or
    "text". The hash is derived on every save and insert (`pre_save`, like `auto_now`), so
    model saves, the admin and `bulk_create` keep it right; raw set-based writers and
    `bulk_update` call `hash_of()` themselves. Search with `filter(<name>=field.hash_of(q))`.
    """

    def __init__(self, *args: Any, source: str, normalizer: str = "text", **kwargs: Any):
        if normalizer not in _NORMALIZERS:
            raise ValueError(f"normalizer must be one of {sorted(_NORMALIZERS)}")
        self.source = source
        self.normalizer = normalizer
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        kwargs["normalizer"] = self.normalizer
        return name, path, args, kwargs

    def hash_of(self, value: str | None) -> str:
        """The lookup hash of a plaintext value ("" for no value)."""
        return keyed_hash(_NORMALIZERS[self.normalizer](value or ""))

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        value = self.hash_of(getattr(model_instance, self.source))
        setattr(model_instance, self.attname, value)
        return value


def encrypted_fields(model: type[models.Model]) -> list[models.Field]:
    """The concrete encrypted columns of a model (found by type, for `rotate_keys`)."""
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, EncryptedFieldMixin) and f.model is model
    ]
