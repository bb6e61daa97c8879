"""Customer PII is encrypted at rest; the API shows it as before (issue 13)."""

import datetime as dt

import pytest
from django.db import connection

from core.fields import keyed_hash
from renewals.models import Customer
from tests.renewals.factories import CustomerFactory

pytestmark = pytest.mark.django_db

ENCRYPTED = ["email", "phone", "date_of_birth", "address", "kyc_documents"]


def _raw(customer_id: int) -> dict[str, str | None]:
    columns = ", ".join([*ENCRYPTED, "email_hash", "phone_hash"])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM renewals_customer WHERE id = %s", [customer_id])  # noqa: S608
        values = cursor.fetchone()
    return dict(zip([*ENCRYPTED, "email_hash", "phone_hash"], values, strict=True))


def _customer(**overrides) -> Customer:
    values = {
        "email": "Meera.Iyer@Example.com",
        "phone": "+91 98123 45678",
        "date_of_birth": dt.date(1979, 8, 15),
        "address": {"line1": "4 Lake View", "city": "Chennai", "postal_code": "600001"},
        "kyc_documents": [{"type": "pan", "number": "ABCDE1234F"}],
    }
    return CustomerFactory(**{**values, **overrides})


def test_pii_columns_hold_fernet_tokens():
    customer = _customer()

    raw = _raw(customer.pk)

    for column in ENCRYPTED:
        assert raw[column].startswith("gAAAA"), column
    for plaintext in ("Meera", "98123", "1979", "Chennai", "ABCDE1234F"):
        assert not any(plaintext in raw[c] for c in ENCRYPTED)


def test_lookup_hashes_are_the_hmac_of_the_normalized_values(settings):
    settings.PHONE_DEFAULT_REGION = "IN"
    customer = _customer()

    raw = _raw(customer.pk)

    assert raw["email_hash"] == keyed_hash("meera.iyer@example.com")
    assert raw["phone_hash"] == keyed_hash("+919812345678")


def test_customer_detail_shows_the_plaintext_in_the_same_shape(manager_client):
    customer = _customer()

    data = manager_client.get(f"/api/v1/customers/{customer.pk}").json()["data"]

    assert data["email"] == "Meera.Iyer@Example.com"
    assert data["phone"] == "+91 98123 45678"
    assert data["date_of_birth"] == "1979-08-15"
    assert data["address"] == {"line1": "4 Lake View", "city": "Chennai", "postal_code": "600001"}
    assert data["kyc_documents"] == [{"type": "pan", "number": "ABCDE1234F"}]


@pytest.mark.parametrize("term", ["meera.iyer@example.com", "+91 9812345678", "09812345678"])
def test_customer_search_finds_an_exact_email_or_phone(manager_client, settings, term):
    settings.PHONE_DEFAULT_REGION = "IN"
    hit = _customer()
    _customer(email="other@example.com", phone="+919812345679")

    customers = manager_client.get("/api/v1/customers", {"search": term}).json()["data"][
        "customers"
    ]

    assert [c["id"] for c in customers] == [hit.pk]


@pytest.mark.parametrize("term", ["meera", "iyer@example", "98123"])
def test_customer_search_does_not_match_part_of_an_email_or_phone(manager_client, term):
    _customer(first_name="Asha", last_name="Rao")

    customers = manager_client.get("/api/v1/customers", {"search": term}).json()["data"][
        "customers"
    ]

    assert customers == []
