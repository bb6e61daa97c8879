"""POST /webhooks/twilio/status: Twilio's signature (the SDK's RequestValidator), idempotent
and ordered status updates."""

from urllib.parse import urlencode

import pytest
from twilio.request_validator import RequestValidator

from communications.models import Message
from core.models import AuditEvent
from tests.communications.factories import MessageFactory

pytestmark = pytest.mark.django_db

TOKEN = "test-auth-token"
PATH = "/api/v1/webhooks/twilio/status"
SID = "SM0123456789abcdef0123456789abcdef"


@pytest.fixture(autouse=True)
def _token(settings):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.PUBLIC_BASE_URL = ""


@pytest.fixture
def sent():
    return MessageFactory(status="sent", provider_message_id=SID)


def _post(client, params, *, url=f"http://testserver{PATH}", token=TOKEN, signature=None):
    if signature is None:
        signature = RequestValidator(token).compute_signature(url, params)
    # As Twilio sends it: form-encoded.
    return client.post(
        PATH,
        urlencode(params),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=signature,
    )


def test_a_signed_delivered_event_updates_the_message(client, sent):
    response = _post(client, {"MessageSid": SID, "MessageStatus": "delivered"})

    assert response.status_code == 204
    sent.refresh_from_db()
    assert sent.status == Message.Status.DELIVERED
    assert AuditEvent.objects.filter(action="message.status_updated", object_id=SID).count() == 1


def test_a_failure_records_twilios_error_code(client, sent):
    _post(client, {"MessageSid": SID, "MessageStatus": "undelivered", "ErrorCode": "30003"})

    sent.refresh_from_db()
    assert (sent.status, sent.provider_error_code) == ("failed", "30003")


def test_the_same_event_twice_changes_nothing_the_second_time(client, sent):
    params = {"MessageSid": SID, "MessageStatus": "delivered"}
    _post(client, params)

    response = _post(client, params)

    assert response.status_code == 204
    assert AuditEvent.objects.filter(action="message.status_updated").count() == 1


def test_an_older_status_never_overwrites_a_newer_one(client, sent):
    _post(client, {"MessageSid": SID, "MessageStatus": "delivered"})

    _post(client, {"MessageSid": SID, "MessageStatus": "sent"})
    _post(client, {"MessageSid": SID, "MessageStatus": "queued"})

    sent.refresh_from_db()
    assert sent.status == Message.Status.DELIVERED


def test_a_wrong_signature_is_401_and_changes_nothing(client, sent):
    response = _post(
        client, {"MessageSid": SID, "MessageStatus": "delivered"}, token="another-token"
    )

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "webhook_signature_invalid"
    sent.refresh_from_db()
    assert sent.status == Message.Status.SENT


def test_a_missing_signature_is_401(client, sent):
    response = _post(client, {"MessageSid": SID, "MessageStatus": "delivered"}, signature="")

    assert response.status_code == 401
    sent.refresh_from_db()
    assert sent.status == Message.Status.SENT


def test_a_signature_over_other_parameters_is_401(client, sent):
    signature = RequestValidator(TOKEN).compute_signature(
        f"http://testserver{PATH}", {"MessageSid": SID, "MessageStatus": "sent"}
    )

    response = _post(client, {"MessageSid": SID, "MessageStatus": "read"}, signature=signature)

    assert response.status_code == 401


def test_behind_a_proxy_the_public_url_is_what_twilio_signed(client, sent, settings):
    settings.PUBLIC_BASE_URL = "https://crm.example.com"

    response = _post(
        client,
        {"MessageSid": SID, "MessageStatus": "delivered"},
        url=f"https://crm.example.com{PATH}",
    )

    assert response.status_code == 204


def test_without_an_auth_token_every_callback_is_refused(client, sent, settings):
    settings.TWILIO_AUTH_TOKEN = ""

    response = _post(client, {"MessageSid": SID, "MessageStatus": "delivered"}, token="x")

    assert response.status_code == 401
