import json
from decimal import Decimal

import pytest

from renewals.models import CaseReminder, Payment, UnmatchedPayment
from tests.renewals.factories import RenewalCaseFactory
from tests.renewals.webhooks import WEBHOOK_URL, signed_post

pytestmark = pytest.mark.django_db


def test_partial_payment_keeps_case_open(agent_client, agent_case):
    response = agent_client.post(
        f"/api/v1/cases/{agent_case.pk}/payments",
        {"amount": 10000, "method": "upi", "reference": "BANK-1"},
        format="json",
    )

    assert response.status_code == 201
    data = response.json()["data"]
    assert data["created"] is True
    assert data["payment"]["amount"] == 10000
    assert data["case"]["payment_status"] == "partial"
    assert data["case"]["status"] == "new"


def test_covering_payment_renews_case_and_cancels_reminders(agent_client, agent_case):
    reminder = CaseReminder.objects.create(
        case=agent_case, window_days=7, renewal_date=agent_case.renewal_date
    )

    response = agent_client.post(
        f"/api/v1/cases/{agent_case.pk}/payments", {"amount": "25000.00"}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["data"]["case"]["status"] == "renewed"
    reminder.refresh_from_db()
    assert reminder.status == CaseReminder.Status.CANCELLED


def test_repeated_reference_returns_existing_payment(agent_client, agent_case):
    url = f"/api/v1/cases/{agent_case.pk}/payments"
    agent_client.post(url, {"amount": 100, "reference": "DUP-1"}, format="json")

    response = agent_client.post(url, {"amount": 100, "reference": "DUP-1"}, format="json")

    assert response.status_code == 200
    assert response.json()["data"]["created"] is False
    assert Payment.objects.filter(reference="DUP-1").count() == 1
    agent_case.refresh_from_db()
    assert agent_case.amount_paid == Decimal("100")


def test_negative_amount_is_400(agent_client, agent_case):
    response = agent_client.post(
        f"/api/v1/cases/{agent_case.pk}/payments", {"amount": -5}, format="json"
    )

    assert response.status_code == 400


def test_webhook_good_signature_records_payment(api_client, webhook_secret):
    case = RenewalCaseFactory()

    response = signed_post(
        api_client,
        webhook_secret,
        {
            "event": "payment.succeeded",
            "reference": "GW-1",
            "amount": 25000,
            "method": "card",
            "case_number": case.case_number,
        },
    )

    assert response.status_code == 200
    assert response.json()["data"]["status"] == "recorded"
    case.refresh_from_db()
    assert case.status == "renewed"
    assert case.payments.get().source == "gateway"


def test_webhook_bad_signature_is_401(api_client, webhook_secret):
    case = RenewalCaseFactory()
    body = json.dumps({"event": "payment.succeeded", "reference": "GW-2", "amount": 1})

    response = api_client.generic(
        "POST", WEBHOOK_URL, body, content_type="application/json", HTTP_X_SIGNATURE="00" * 32
    )

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "webhook_signature_invalid"
    assert not case.payments.exists()


def test_webhook_missing_signature_is_401(api_client, webhook_secret):
    response = api_client.post(WEBHOOK_URL, {"event": "x"}, format="json")

    assert response.status_code == 401


def test_webhook_replay_changes_nothing(api_client, webhook_secret):
    case = RenewalCaseFactory()
    payload = {
        "event": "payment.succeeded",
        "reference": "GW-3",
        "amount": 1000,
        "case_number": case.case_number,
    }
    signed_post(api_client, webhook_secret, payload)
    case.refresh_from_db()
    events_before = case.events.count()

    response = signed_post(api_client, webhook_secret, payload)

    assert response.json()["data"]["status"] == "duplicate"
    case.refresh_from_db()
    assert case.amount_paid == Decimal("1000")
    assert case.events.count() == events_before
    assert Payment.objects.filter(reference="GW-3").count() == 1


def test_webhook_unmatched_reference_is_stored(api_client, webhook_secret):
    response = signed_post(
        api_client,
        webhook_secret,
        {"event": "payment.succeeded", "reference": "GW-4", "amount": 50, "case_number": "NOPE"},
    )

    assert response.json()["data"]["status"] == "unmatched"
    row = UnmatchedPayment.objects.get(reference="GW-4")
    assert row.case_reference == "NOPE"
    assert row.status == "open"


def test_webhook_matches_open_case_by_policy_number(api_client, webhook_secret):
    case = RenewalCaseFactory()

    signed_post(
        api_client,
        webhook_secret,
        {
            "event": "payment.completed",
            "reference": "GW-5",
            "amount": 100,
            "policy_number": case.policy.policy_number,
        },
    )

    assert case.payments.count() == 1


def test_webhook_invalid_body_is_400(api_client, webhook_secret):
    response = signed_post(api_client, webhook_secret, {"event": "payment.succeeded"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "webhook_payload_invalid"


def test_webhook_refused_when_no_secret_configured(api_client, settings):
    settings.PAYMENT_WEBHOOK_SECRET = ""

    response = signed_post(api_client, "", {"event": "payment.succeeded"})

    assert response.status_code == 401
