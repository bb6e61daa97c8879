"""Re-uploads match existing customers' encrypted email and phone through their keyed hashes."""

import pytest
from django.db import connection

from core.fields import keyed_hash
from renewals.models import Customer
from tests.uploads.files import csv_bytes, rows

pytestmark = pytest.mark.django_db


def _upload(post_upload, batch_status, data, **fields) -> dict:
    response = post_upload(csv_bytes(data), **fields)
    assert response.status_code == 201, response.content
    return batch_status(response.json()["data"]["batch_id"])


def _raw_email(code: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT email FROM renewals_customer WHERE customer_code = %s", [code])
        return cursor.fetchone()[0]


def test_imported_contacts_are_encrypted_with_lookup_hashes(post_upload, batch_status, agents):
    _upload(post_upload, batch_status, rows(2))

    customer = Customer.objects.get(customer_code="C000001")
    assert _raw_email("C000001").startswith("gAAAA")
    assert customer.email == "asha1@example.com"
    assert customer.email_hash == keyed_hash("asha1@example.com")
    assert customer.phone == "+919876543210"
    assert customer.phone_hash == keyed_hash("+919876543210")


def test_the_same_contacts_in_another_spelling_are_not_a_change(post_upload, batch_status, agents):
    _upload(post_upload, batch_status, rows(2))
    before = _raw_email("C000001")
    again = rows(2)
    again[0]["customer_email"] = "ASHA1@Example.com"
    again[0]["customer_phone"] = "098765 43210"

    status = _upload(post_upload, batch_status, again, dry_run="true")
    _upload(post_upload, batch_status, again)

    assert status["summary"]["customers_changed"] == 0
    assert _raw_email("C000001") == before  # not rewritten


def test_a_changed_phone_is_a_change_with_a_new_hash(post_upload, batch_status, agents, settings):
    # A contact change otherwise waits for maker-checker approval (tests/uploads/test_row_scope.py).
    settings.UPLOAD_APPROVAL_SENSITIVE_CHANGES = False
    _upload(post_upload, batch_status, rows(2))
    again = rows(2)
    again[1]["customer_phone"] = "+91 91234 56789"

    status = _upload(post_upload, batch_status, again)

    assert status["summary"]["customers_changed"] == 1
    customer = Customer.objects.get(customer_code="C000002")
    assert customer.phone == "+919123456789"
    assert customer.phone_hash == keyed_hash("+919123456789")


def test_a_blank_email_keeps_the_known_one_when_other_details_change(
    post_upload, batch_status, agents
):
    _upload(post_upload, batch_status, rows(2))
    again = rows(2)
    again[0]["customer_email"] = ""
    again[0]["customer_last_name"] = "Rao-Menon"

    status = _upload(post_upload, batch_status, again)

    assert status["summary"]["customers_changed"] == 1
    customer = Customer.objects.get(customer_code="C000001")
    assert customer.last_name == "Rao-Menon"
    assert customer.email == "asha1@example.com"
    assert customer.email_hash == keyed_hash("asha1@example.com")
