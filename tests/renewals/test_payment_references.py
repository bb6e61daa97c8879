"""Payment references are unique per source (issue 13 hole 7): a reference typed by staff
never blocks the gateway's real event, never reveals another case's payments, and a gateway
reference that conflicts goes to reconciliation."""

from decimal import Decimal

import pytest

from core.models import AuditEvent
from renewals.models import Payment, UnmatchedPayment
from tests.renewals.factories import RenewalCaseFactory
from tests.renewals.webhooks import signed_post

pytestmark = pytest.mark.django_db


def _pay(client, case, reference, amount=1):
    return client.post(
        f"/api/v1/cases/{case.pk}/payments",
        {"amount": amount, "reference": reference},
        format="json",
    )


def _gateway(client, secret, case, reference, amount=25000, **extra):
    payload = {"event": "payment.succeeded", "reference": reference, "amount": amount}
    payload.update({"case_number": case.case_number} if case is not None else {})
    payload.update(extra)
    return signed_post(client, secret, payload)


def test_manual_reference_does_not_drop_the_gateway_event(
    agent_client, agent_case, api_client, webhook_secret
):
    """The reported attack: an agent records 1.00 with the gateway's reference first."""
    victim = RenewalCaseFactory()
    assert _pay(agent_client, agent_case, "GW-123").status_code == 201

    response = _gateway(api_client, webhook_secret, victim, "GW-123")

    assert response.status_code == 200
    assert response.json()["data"]["status"] == "recorded"
    victim.refresh_from_db()
    assert victim.status == "renewed"
    assert victim.amount_paid == Decimal("25000")
    gateway = Payment.objects.get(source="gateway", reference="GW-123")
    assert gateway.case_id == victim.pk
    manual = Payment.objects.get(source="manual", reference="GW-123")
    assert manual.case_id == agent_case.pk


def test_gateway_redelivery_still_deduped(api_client, webhook_secret):
    case = RenewalCaseFactory()
    _gateway(api_client, webhook_secret, case, "GW-9", amount=100)

    response = _gateway(api_client, webhook_secret, case, "GW-9", amount=100)

    assert response.json()["data"]["status"] == "duplicate"
    assert Payment.objects.filter(reference="GW-9").count() == 1


def test_manual_reference_never_reveals_another_cases_payment(
    agent_client, agent_case, manager_client
):
    """Another case already has a payment with this reference: the agent (who cannot see
    that case) records theirs as usual; the answer is only about their own case."""
    other = RenewalCaseFactory()
    assert _pay(manager_client, other, "BANK-77", amount=300).status_code == 201

    response = _pay(agent_client, agent_case, "BANK-77", amount=5)

    assert response.status_code == 201
    data = response.json()["data"]
    assert data["created"] is True
    assert data["case"]["id"] == agent_case.pk
    assert data["payment"]["amount"] == 5
    assert Payment.objects.get(pk=data["payment"]["id"]).case_id == agent_case.pk
    assert other.payments.get().amount == Decimal("300")


def test_manual_reference_of_a_gateway_payment_elsewhere_is_not_revealed(
    agent_client, agent_case, api_client, webhook_secret
):
    other = RenewalCaseFactory()
    _gateway(api_client, webhook_secret, other, "GW-555", amount=100)

    response = _pay(agent_client, agent_case, "GW-555", amount=7)

    assert response.status_code == 201
    data = response.json()["data"]
    assert data["case"]["id"] == agent_case.pk
    assert data["payment"]["amount"] == 7
    assert data["payment"]["source"] == "manual"


def test_manual_double_click_on_the_same_case_is_idempotent(agent_client, agent_case):
    _pay(agent_client, agent_case, "DUP-2", amount=100)

    response = _pay(agent_client, agent_case, "DUP-2", amount=100)

    assert response.status_code == 200
    assert response.json()["data"]["created"] is False
    assert agent_case.payments.count() == 1


def test_conflicting_gateway_reference_goes_to_reconciliation(api_client, webhook_secret):
    first, second = RenewalCaseFactory.create_batch(2)
    _gateway(api_client, webhook_secret, first, "GW-777", amount=100)

    response = _gateway(api_client, webhook_secret, second, "GW-777", amount=100)
    again = _gateway(api_client, webhook_secret, second, "GW-777", amount=100)

    data = response.json()["data"]
    assert data["status"] == "unmatched"
    row = UnmatchedPayment.objects.get(pk=data["unmatched_payment_id"])
    assert row.reference == "GW-777"
    assert row.case_reference == second.case_number
    assert row.status == "open"
    assert AuditEvent.objects.filter(
        action="payment.reference_conflict", object_id=str(row.pk)
    ).exists()
    assert not second.payments.exists()
    assert first.payments.count() == 1
    assert again.json()["data"]["status"] == "duplicate"


def test_policy_number_redelivery_after_a_new_term_is_still_a_duplicate(api_client, webhook_secret):
    """Matched by policy number, the first delivery renewed the case; a new term's case
    opened since then does not turn the redelivery into a conflict."""
    case = RenewalCaseFactory()
    policy_number = case.policy.policy_number
    _gateway(api_client, webhook_secret, None, "GW-888", policy_number=policy_number)
    case.refresh_from_db()
    assert case.status == "renewed"
    RenewalCaseFactory(policy=case.policy, renewal_date=case.renewal_date.replace(year=2099))

    response = _gateway(api_client, webhook_secret, None, "GW-888", policy_number=policy_number)

    assert response.json()["data"]["status"] == "duplicate"
    assert not UnmatchedPayment.objects.exists()
