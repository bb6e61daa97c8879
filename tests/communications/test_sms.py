"""SMS through Twilio: POST /sms/send through the gate, the real `twilio` SDK against a local
server speaking Twilio's REST API (exact request asserted), delivery idempotent."""

import base64
from decimal import Decimal

import pytest
from django.urls import reverse

from communications.models import Message
from communications.services import message_deliver
from tests.communications.fake_twilio import FakeTwilio
from tests.renewals.factories import RenewalCaseFactory

pytestmark = pytest.mark.django_db

SID = "AC00000000000000000000000000000000"
URL = "/api/v1/sms/send"


@pytest.fixture
def twilio(settings):
    with FakeTwilio() as fake:
        settings.TWILIO_ACCOUNT_SID = SID
        settings.TWILIO_AUTH_TOKEN = "test-auth-token"
        settings.TWILIO_FROM_NUMBER = "+15005550006"
        settings.TWILIO_MESSAGING_SERVICE_SID = ""
        settings.TWILIO_API_BASE_URL = fake.url
        settings.PUBLIC_BASE_URL = ""
        yield fake


@pytest.fixture
def own_case(agent_user):
    return RenewalCaseFactory(
        assigned_to=agent_user,
        policy__agent=agent_user,
        policy__customer__phone="098123 45678",
        policy__customer__communication_preferences={"consent": {"sms": True}},
    )


def _send(client, case, text="Your renewal is due on Friday."):
    return client.post(
        URL,
        {"customer_id": case.policy.customer_id, "case_id": case.pk, "message": text},
        format="json",
    )


def test_send_goes_to_twilio_with_the_exact_request(
    agent_client, own_case, twilio, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _send(agent_client, own_case)

    assert response.status_code == 201, response.content
    [request] = twilio.requests
    assert request["path"] == f"/2010-04-01/Accounts/{SID}/Messages.json"
    expected_auth = base64.b64encode(f"{SID}:test-auth-token".encode()).decode()
    assert request["authorization"] == f"Basic {expected_auth}"
    assert request["form"] == {
        "To": "+919812345678",  # normalized to E.164
        "From": "+15005550006",
        "Body": "Your renewal is due on Friday.",
    }
    message = Message.objects.get(pk=response.json()["data"]["id"])
    assert message.status == Message.Status.SENT
    assert message.provider_message_id == "SM0123456789abcdef0123456789abcdef"
    assert message.segments == 1
    assert message.cost == Decimal("0.0075")
    assert message.case_id == own_case.pk


def test_a_messaging_service_sid_is_sent_instead_of_the_from_number(
    agent_client, own_case, twilio, settings, django_capture_on_commit_callbacks
):
    settings.TWILIO_MESSAGING_SERVICE_SID = "MG00000000000000000000000000000000"

    with django_capture_on_commit_callbacks(execute=True):
        _send(agent_client, own_case)

    form = twilio.requests[0]["form"]
    assert form["MessagingServiceSid"] == "MG00000000000000000000000000000000"
    assert "From" not in form


def test_delivering_twice_sends_once(
    agent_client, own_case, twilio, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _send(agent_client, own_case)

    message_deliver(message_id=response.json()["data"]["id"])

    assert len(twilio.requests) == 1


def test_a_twilio_error_is_recorded_on_the_message(
    agent_client, own_case, twilio, django_capture_on_commit_callbacks
):
    twilio.reply_status = 400
    twilio.reply_body = {"code": 21211, "message": "Invalid 'To' Phone Number", "status": 400}

    with django_capture_on_commit_callbacks(execute=True):
        response = _send(agent_client, own_case)

    message = Message.objects.get(pk=response.json()["data"]["id"])
    assert message.status == Message.Status.FAILED
    assert message.provider_error_code == "21211"


def test_an_invalid_customer_number_is_400_and_nothing_is_sent(agent_client, own_case, twilio):
    customer = own_case.policy.customer
    customer.phone = "12345"
    customer.save()

    response = _send(agent_client, own_case)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_phone_number"
    assert twilio.requests == []
    assert not Message.objects.exists()


def test_a_refusal_answers_its_reason_and_keeps_the_row(agent_client, own_case, twilio):
    customer = own_case.policy.customer
    customer.communication_preferences = {"consent": {"sms": False}}
    customer.save()

    response = _send(agent_client, own_case)

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "consent_missing"
    assert Message.objects.get(pk=error["details"]["message_id"]).refusal_reason == (
        "consent_missing"
    )
    assert twilio.requests == []


def test_without_twilio_settings_the_send_is_refused_as_not_configured(
    agent_client, own_case, settings
):
    settings.TWILIO_ACCOUNT_SID = ""

    response = _send(agent_client, own_case)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "channel_not_configured"


def test_an_agent_cannot_text_another_agents_customer(agent_client, twilio):
    stranger = RenewalCaseFactory(
        policy__customer__communication_preferences={"consent": {"sms": True}}
    )

    response = _send(agent_client, stranger)

    assert response.status_code == 404
    assert not Message.objects.exists()


def test_a_viewer_cannot_send(viewer_client, own_case, twilio):
    response = _send(viewer_client, own_case)

    assert response.status_code == 403


def test_an_empty_message_is_a_validation_error(agent_client, own_case, twilio):
    response = _send(agent_client, own_case, text="")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert reverse("api:communications:sms-send") == URL


def test_with_a_public_origin_twilio_is_told_where_to_report_status(
    agent_client, own_case, twilio, settings, django_capture_on_commit_callbacks
):
    settings.PUBLIC_BASE_URL = "https://crm.example.com"

    with django_capture_on_commit_callbacks(execute=True):
        _send(agent_client, own_case)

    assert twilio.requests[0]["form"]["StatusCallback"] == (
        "https://crm.example.com/api/v1/webhooks/twilio/status"
    )
