"""Webhook signature edge cases (issue 13 hole 13): only well-formed hex is compared, and a
signed timestamp stops replays. Through the real URL, signed like the gateway signs."""

import json
import time

import pytest

from renewals.models import Payment
from tests.renewals.factories import RenewalCaseFactory
from tests.renewals.webhooks import WEBHOOK_URL, signed_post, webhook_signature

pytestmark = pytest.mark.django_db


def _event(case, reference="GW-SIG-1"):
    return {
        "event": "payment.succeeded",
        "reference": reference,
        "amount": 100,
        "case_number": case.case_number,
    }


def _assert_401(response):
    assert response.status_code == 401
    body = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == "webhook_signature_invalid"


def test_signed_with_timestamp_is_recorded(api_client, webhook_secret):
    case = RenewalCaseFactory()

    response = signed_post(api_client, webhook_secret, _event(case))

    assert response.status_code == 200
    assert response.json()["data"]["status"] == "recorded"


def test_sha256_prefix_and_uppercase_hex_are_accepted(api_client, webhook_secret):
    case = RenewalCaseFactory()
    body = json.dumps(_event(case)).encode()
    now = int(time.time())
    signature = "sha256=" + webhook_signature(webhook_secret, body, now).upper()

    response = signed_post(api_client, webhook_secret, body, timestamp=now, signature=signature)

    assert response.status_code == 200


@pytest.mark.parametrize(
    "signature",
    [
        "é" * 64,  # non-ASCII: was a 500
        "ü" + "0" * 63,
        "zz" * 32,  # not hex
        "00" * 31,  # too short
        "00" * 33,  # too long
        "sha256=",
        "",
        "0x" + "00" * 31,
    ],
)
def test_malformed_signature_is_401_never_500(api_client, webhook_secret, signature):
    case = RenewalCaseFactory()

    response = signed_post(api_client, webhook_secret, _event(case), signature=signature)

    _assert_401(response)
    assert not Payment.objects.exists()


def test_missing_timestamp_is_401(api_client, webhook_secret):
    case = RenewalCaseFactory()
    body = json.dumps(_event(case)).encode()
    now = int(time.time())

    response = api_client.generic(
        "POST",
        WEBHOOK_URL,
        body,
        content_type="application/json",
        HTTP_X_SIGNATURE=webhook_signature(webhook_secret, body, now),
    )

    _assert_401(response)
    assert not Payment.objects.exists()


@pytest.mark.parametrize("timestamp", ["", "abc", "12.5", "-5", "\uff11\uff12\uff13", "\u00b2"])
def test_malformed_timestamp_is_401(api_client, webhook_secret, timestamp):
    case = RenewalCaseFactory()
    body = json.dumps(_event(case)).encode()

    response = api_client.generic(
        "POST",
        WEBHOOK_URL,
        body,
        content_type="application/json",
        HTTP_X_SIGNATURE=webhook_signature(webhook_secret, body, timestamp),
        HTTP_X_SIGNATURE_TIMESTAMP=timestamp,
    )

    _assert_401(response)


def test_body_signed_without_the_timestamp_is_401(api_client, webhook_secret):
    """The old scheme (HMAC of the body alone) no longer passes."""
    import hashlib
    import hmac

    case = RenewalCaseFactory()
    body = json.dumps(_event(case)).encode()
    old_style = hmac.new(webhook_secret.encode(), body, hashlib.sha256).hexdigest()

    response = signed_post(api_client, webhook_secret, body, signature=old_style)

    _assert_401(response)


@pytest.mark.parametrize("offset", [-301, 301, -86400])
def test_timestamp_outside_default_tolerance_is_401(api_client, webhook_secret, offset):
    """A captured request replayed later (or a clock far ahead) is refused, even though its
    signature is right for its own timestamp."""
    case = RenewalCaseFactory()

    response = signed_post(
        api_client, webhook_secret, _event(case), timestamp=int(time.time()) + offset
    )

    _assert_401(response)
    assert not Payment.objects.exists()


def test_timestamp_inside_tolerance_is_accepted(api_client, webhook_secret):
    case = RenewalCaseFactory()

    response = signed_post(
        api_client, webhook_secret, _event(case), timestamp=int(time.time()) - 240
    )

    assert response.status_code == 200


def test_tolerance_comes_from_settings(api_client, webhook_secret, settings):
    settings.PAYMENT_WEBHOOK_TOLERANCE_SECONDS = 30
    case = RenewalCaseFactory()

    stale = signed_post(api_client, webhook_secret, _event(case), timestamp=int(time.time()) - 120)
    fresh = signed_post(api_client, webhook_secret, _event(case), timestamp=int(time.time()))

    _assert_401(stale)
    assert fresh.status_code == 200


def test_signature_for_another_timestamp_is_401(api_client, webhook_secret):
    """Moving a captured signature onto a fresh timestamp does not work: the timestamp is
    signed."""
    case = RenewalCaseFactory()
    body = json.dumps(_event(case)).encode()
    now = int(time.time())
    captured = webhook_signature(webhook_secret, body, now - 3600)

    response = signed_post(api_client, webhook_secret, body, timestamp=now, signature=captured)

    _assert_401(response)


def test_schema_documents_the_scheme(api_client):
    schema = api_client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/webhooks/payments"]["post"]
    headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}

    assert {"X-Signature", "X-Signature-Timestamp"} <= headers
    assert "X-Signature-Timestamp" in operation["description"]
    assert "401" in operation["responses"]
