"""Encrypted columns (core/fields.py) against the real database."""

import datetime

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import FieldError
from django.db import connection
from rest_framework import serializers

from core.fields import EncryptionKeyError, keyed_hash, normalize_phone
from core.key_rotation import encrypt_existing_values
from tests.core.encrypted_probe import EncryptedProbe, raw_column

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("encrypted_probe_table")]

OLD_KEY = "RkFLRS10ZXN0LW9sZC1maWVsZC1rZXktMDAwMDAwMDA="  # base64 "FAKE-test-old-field-key-..."
NEW_KEY = "RkFLRS10ZXN0LW5ldy1maWVsZC1rZXktMDAwMDAwMDA="  # base64 "FAKE-test-new-field-key-..."


def _probe(**values) -> EncryptedProbe:
    defaults = {
        "secret": "sk-live-abc123",
        "code": "PASSPORT-X1234567",
        "email": "Asha.Rao@example.com",
        "born": datetime.date(1984, 2, 29),
        "details": {"line1": "12 MG Road", "city": "Pune", "pin": "411001"},
    }
    return EncryptedProbe.objects.create(**{**defaults, **values})


@pytest.mark.parametrize("column", ["secret", "code", "email", "born", "details"])
def test_the_raw_column_holds_a_fernet_token_not_the_value(column):
    probe = _probe()

    stored = raw_column(EncryptedProbe, column, probe.pk)

    assert stored.startswith("gAAAA")
    for plaintext in ("abc123", "Asha", "1984", "Pune", "X1234567"):
        assert plaintext not in stored


def test_the_orm_returns_the_plaintext_values_with_their_python_types():
    probe = _probe()

    loaded = EncryptedProbe.objects.get(pk=probe.pk)

    assert loaded.secret == "sk-live-abc123"
    assert loaded.code == "PASSPORT-X1234567"
    assert loaded.email == "Asha.Rao@example.com"
    assert loaded.born == datetime.date(1984, 2, 29)
    assert loaded.details == {"line1": "12 MG Road", "city": "Pune", "pin": "411001"}


def test_values_list_and_bulk_update_go_through_the_field():
    probe = _probe()
    probe.email = "new@example.com"
    probe.born = datetime.date(2000, 1, 1)

    EncryptedProbe.objects.bulk_update([probe], ["email", "born"])

    assert raw_column(EncryptedProbe, "email", probe.pk).startswith("gAAAA")
    assert list(EncryptedProbe.objects.filter(pk=probe.pk).values_list("email", "born")) == [
        ("new@example.com", datetime.date(2000, 1, 1))
    ]


def test_the_same_value_encrypts_differently_each_time():
    first, second = _probe(), _probe()

    assert raw_column(EncryptedProbe, "secret", first.pk) != raw_column(
        EncryptedProbe, "secret", second.pk
    )


def test_null_and_empty_values_are_stored_as_they_are():
    probe = _probe(secret="", email="", born=None, details=None)

    assert raw_column(EncryptedProbe, "secret", probe.pk) == ""
    assert raw_column(EncryptedProbe, "email", probe.pk) == ""
    assert raw_column(EncryptedProbe, "born", probe.pk) is None
    assert raw_column(EncryptedProbe, "details", probe.pk) is None
    loaded = EncryptedProbe.objects.get(pk=probe.pk)
    assert (loaded.secret, loaded.email, loaded.born, loaded.details) == ("", "", None, None)


def test_isnull_is_the_only_lookup_and_others_fail_loudly():
    _probe(born=None, label="no-dob")
    _probe(label="dob")

    assert list(
        EncryptedProbe.objects.filter(born__isnull=True).values_list("label", flat=True)
    ) == ["no-dob"]
    with pytest.raises(FieldError):
        list(EncryptedProbe.objects.filter(email="Asha.Rao@example.com"))
    with pytest.raises(FieldError):
        list(EncryptedProbe.objects.filter(email__icontains="asha"))


def test_data_written_under_the_old_key_stays_readable_after_rotation(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    probe = _probe()

    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    loaded = EncryptedProbe.objects.get(pk=probe.pk)

    assert loaded.secret == "sk-live-abc123"
    assert loaded.born == datetime.date(1984, 2, 29)
    assert loaded.details["city"] == "Pune"


def test_new_writes_use_the_newest_key(settings):
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]

    probe = _probe()

    token = raw_column(EncryptedProbe, "secret", probe.pk)
    assert Fernet(NEW_KEY).decrypt(token.encode()) == b"sk-live-abc123"


def test_reading_fails_clearly_when_the_writing_key_was_dropped(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    probe = _probe()

    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]

    with pytest.raises(EncryptionKeyError):
        EncryptedProbe.objects.get(pk=probe.pk)


def test_no_key_configured_refuses_to_write(settings):
    settings.FIELD_ENCRYPTION_KEYS = []

    with pytest.raises(EncryptionKeyError):
        _probe()


def test_keyed_hash_is_a_stable_hmac_that_depends_on_the_key(settings):
    first = keyed_hash("+919812345678")

    assert first == keyed_hash("+919812345678")
    assert len(first) == 64
    assert set(first) <= set("0123456789abcdef")
    assert first != keyed_hash("+919812345679")
    settings.FIELD_HASH_KEY = "another-FAKE-hash-key"
    assert keyed_hash("+919812345678") != first


def test_keyed_hash_of_nothing_is_empty():
    assert keyed_hash("") == ""


def test_keyed_hash_refuses_without_a_key(settings):
    settings.FIELD_HASH_KEY = ""

    with pytest.raises(EncryptionKeyError):
        keyed_hash("someone@example.com")


def test_drf_sees_the_base_field_types_so_the_api_shape_is_unchanged():
    class ProbeSerializer(serializers.ModelSerializer):
        class Meta:
            model = EncryptedProbe
            fields = ["secret", "code", "email", "born", "details"]

    fields = ProbeSerializer().fields

    assert isinstance(fields["email"], serializers.EmailField)
    assert isinstance(fields["born"], serializers.DateField)
    assert isinstance(fields["details"], serializers.JSONField)
    assert isinstance(fields["code"], serializers.CharField)
    assert fields["code"].max_length == 30


def test_hash_columns_follow_their_source_on_save_and_bulk_create(settings):
    settings.PHONE_DEFAULT_REGION = "IN"
    probe = _probe(email=" Asha.Rao@Example.com ", phone="098123 45678")
    EncryptedProbe.objects.bulk_create([EncryptedProbe(email="b@example.com")])

    assert probe.email_hash == keyed_hash("asha.rao@example.com")
    assert probe.phone_hash == keyed_hash("+919812345678")
    assert EncryptedProbe.objects.filter(email_hash=keyed_hash("b@example.com")).count() == 1
    probe.phone = ""
    probe.save()
    assert EncryptedProbe.objects.get(pk=probe.pk).phone_hash == ""


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("+91 98123 45678", "+919812345678"),
        ("098123-45678", "+919812345678"),
        ("9812345678", "+919812345678"),
        ("0091 9812345678", "+919812345678"),
        ("+44 7700 900123", "+447700900123"),
        ("+1-555-0001", "+15550001"),  # not a valid number: digits kept, still exact
        ("no digits", ""),
    ],
)
def test_normalize_phone(settings, raw, normalized):
    settings.PHONE_DEFAULT_REGION = "IN"

    assert normalize_phone(raw) == normalized


def test_encrypt_existing_values_encrypts_plaintext_and_fills_hashes():
    probes = [_probe(label=f"p{i}") for i in range(3)]
    # Plaintext as a just-altered column holds it (what migration 0005 finds).
    table = EncryptedProbe._meta.db_table
    with connection.cursor() as cursor:
        for i, probe in enumerate(probes):
            cursor.execute(
                f"UPDATE {table} SET email = %s, born = %s, details = %s, email_hash = '' "  # noqa: S608
                "WHERE id = %s",
                [f"P{i}@Example.com", "1990-05-0" + str(i + 1), '{"city": "Pune"}', probe.pk],
            )

    written = encrypt_existing_values(
        model=EncryptedProbe, field_names=["email", "born", "details"], batch_size=2
    )

    assert written == 3
    for i, probe in enumerate(probes):
        assert raw_column(EncryptedProbe, "email", probe.pk).startswith("gAAAA")
        loaded = EncryptedProbe.objects.get(pk=probe.pk)
        assert loaded.email == f"P{i}@Example.com"
        assert loaded.born == datetime.date(1990, 5, i + 1)
        assert loaded.details == {"city": "Pune"}
        assert loaded.email_hash == keyed_hash(f"p{i}@example.com")
        assert loaded.secret == "sk-live-abc123"  # other columns untouched


def test_encrypt_existing_values_leaves_encrypted_values_alone():
    probe = _probe()
    before = raw_column(EncryptedProbe, "secret", probe.pk)

    encrypt_existing_values(model=EncryptedProbe, field_names=["email"])

    assert raw_column(EncryptedProbe, "secret", probe.pk) == before
    assert EncryptedProbe.objects.get(pk=probe.pk).email == "Asha.Rao@example.com"
