"""GET/PUT /customers/{id}/preferences: scope, validation, audit."""

import pytest
from django.urls import reverse

from core.models import AuditEvent
from tests.renewals.factories import CustomerFactory, RenewalCaseFactory

pytestmark = pytest.mark.django_db

EVIDENCE = {"at": "2026-01-05T10:00:00Z", "method": "web_form", "source": "renewal-portal"}


def _url(customer):
    return reverse("api:communications:customer-preferences", kwargs={"pk": customer.pk})


@pytest.fixture
def own_customer(agent_user):
    return RenewalCaseFactory(assigned_to=agent_user, policy__agent=agent_user).policy.customer


def test_agent_reads_their_customers_preferences(agent_client, own_customer):
    response = agent_client.get(_url(own_customer))

    assert response.status_code == 200
    assert response.json()["data"]["consent"] == {"email": True}
    assert response.json()["data"]["preferred_channel"] == "email"


def test_agent_cannot_read_another_agents_customer(agent_client):
    stranger = RenewalCaseFactory().policy.customer

    response = agent_client.get(_url(stranger))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_agent_cannot_change_another_agents_customer(agent_client):
    stranger = RenewalCaseFactory().policy.customer
    before = dict(stranger.communication_preferences)

    response = agent_client.put(_url(stranger), {"timezone": "Europe/Paris"}, format="json")

    assert response.status_code == 404
    stranger.refresh_from_db()
    assert stranger.communication_preferences == before


def test_viewer_has_no_messaging_module(viewer_client):
    customer = CustomerFactory()

    response = viewer_client.get(_url(customer))

    assert response.status_code == 403


def test_put_writes_consent_evidence_time_zone_and_quiet_hours(agent_client, own_customer):
    payload = {
        "consent": {"sms": True},
        "consent_evidence": {"sms": EVIDENCE},
        "preferred_channel": "sms",
        "timezone": "Asia/Kolkata",
        "quiet_hours": {"start": "21:00", "end": "08:00"},
    }

    response = agent_client.put(_url(own_customer), payload, format="json")

    assert response.status_code == 200, response.content
    own_customer.refresh_from_db()
    prefs = own_customer.communication_preferences
    assert prefs["consent"] == {"email": True, "sms": True}  # email kept
    assert prefs["consent_evidence"]["sms"]["method"] == "web_form"
    assert prefs["consent_evidence"]["sms"]["at"].startswith("2026-01-05T10:00:00")
    assert prefs["timezone"] == "Asia/Kolkata"
    assert prefs["quiet_hours"] == {"start": "21:00", "end": "08:00"}
    assert prefs["language"] == "en"  # keys left out keep their value
    assert response.json()["data"]["preferred_channel"] == "sms"


def test_a_change_is_audited_with_old_and_new_values(agent_client, agent_user, own_customer):
    agent_client.put(_url(own_customer), {"timezone": "Europe/Paris"}, format="json")

    event = AuditEvent.objects.get(action="customer.communication_preferences_updated")

    assert event.actor == agent_user
    assert event.object_id == str(own_customer.pk)
    assert event.changes == {"timezone": {"old": None, "new": "Europe/Paris"}}


def test_an_unchanged_put_writes_no_audit_event(agent_client, own_customer):
    response = agent_client.put(_url(own_customer), {"preferred_channel": "email"}, format="json")

    assert response.status_code == 200
    assert not AuditEvent.objects.filter(
        action="customer.communication_preferences_updated"
    ).exists()


@pytest.mark.parametrize("zone", ["Mars/Olympus", "../../etc/passwd", "", "utc+5"])
def test_a_time_zone_outside_the_iana_database_is_a_validation_error(
    agent_client, own_customer, zone
):
    response = agent_client.put(_url(own_customer), {"timezone": zone}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert "timezone" in response.json()["error"]["details"]


@pytest.mark.parametrize(
    "quiet", [{"start": "25:00", "end": "08:00"}, {"start": "9pm"}, {"start": "21:00"}, "late"]
)
def test_malformed_quiet_hours_are_a_validation_error(agent_client, own_customer, quiet):
    response = agent_client.put(_url(own_customer), {"quiet_hours": quiet}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_turning_consent_on_needs_evidence(agent_client, own_customer):
    response = agent_client.put(_url(own_customer), {"consent": {"sms": True}}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    own_customer.refresh_from_db()
    assert "sms" not in own_customer.communication_preferences["consent"]


def test_turning_consent_off_needs_no_evidence(agent_client, own_customer):
    response = agent_client.put(_url(own_customer), {"consent": {"email": False}}, format="json")

    assert response.status_code == 200
    own_customer.refresh_from_db()
    assert own_customer.communication_preferences["consent"]["email"] is False


def test_an_unknown_preferred_channel_is_a_validation_error(agent_client, own_customer):
    response = agent_client.put(_url(own_customer), {"preferred_channel": "fax"}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_the_gate_reads_consent_written_here(agent_client, own_customer, settings):
    from communications.services import message_send

    settings.WHATSAPP_ACCESS_TOKEN = "token"
    settings.WHATSAPP_PHONE_NUMBER_ID = "123"
    agent_client.put(
        _url(own_customer),
        {"consent": {"whatsapp": True}, "consent_evidence": {"whatsapp": EVIDENCE}},
        format="json",
    )

    message = message_send(customer_id=own_customer.pk, channel="whatsapp", body="Hi")

    assert message.status == "queued"
