"""The send gate (communications.services.message_send): every rule, in its order.

Time is not frozen: like tests/renewals, the tests place quiet hours and day boundaries
relative to the current time in the customer's time zone.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from communications.errors import MessageChannelInvalidError
from communications.models import Message
from communications.services import message_send
from core.models import AuditEvent
from tests.communications.factories import MessageFactory, SuppressionFactory
from tests.renewals.factories import CustomerFactory, RenewalCaseFactory

pytestmark = pytest.mark.django_db

KOLKATA = ZoneInfo("Asia/Kolkata")


def _hhmm(moment: dt.datetime) -> str:
    return moment.strftime("%H:%M")


def _quiet_around_now(tz: ZoneInfo) -> dict[str, str]:
    """Quiet hours from an hour ago to two hours ahead, local time (may span midnight)."""
    local = timezone.now().astimezone(tz)
    return {
        "start": _hhmm(local - dt.timedelta(hours=1)),
        "end": _hhmm(local + dt.timedelta(hours=2)),
    }


def _send(customer, channel="sms", **kwargs):
    return message_send(customer_id=customer.pk, channel=channel, body="Renewal due", **kwargs)


def test_an_accepted_send_is_a_queued_row(sms_customer, twilio_configured):
    case = RenewalCaseFactory(policy__customer=sms_customer)

    message = _send(sms_customer, case_id=case.pk, campaign_id=7)

    assert message.status == Message.Status.QUEUED
    assert message.refusal_reason == ""
    assert message.scheduled_for is None
    assert (message.case_id, message.campaign_id) == (case.pk, 7)
    assert message.direction == Message.Direction.OUTBOUND


def test_no_consent_for_the_channel_is_refused_with_its_reason(sms_customer, twilio_configured):
    message = _send(sms_customer, channel="whatsapp")

    assert message.status == Message.Status.FAILED
    assert message.refusal_reason == "consent_missing"
    assert Message.objects.filter(pk=message.pk, refusal_reason="consent_missing").exists()


def test_a_customer_without_preferences_has_no_consent(twilio_configured):
    customer = CustomerFactory(phone="+919812345678", communication_preferences={})

    message = _send(customer)

    assert message.refusal_reason == "consent_missing"


def test_consent_without_a_number_is_refused_as_no_address(twilio_configured):
    customer = CustomerFactory(phone="", communication_preferences={"consent": {"sms": True}})

    message = _send(customer)

    assert message.refusal_reason == "no_address"


def test_a_suppressed_customer_is_refused(sms_customer, twilio_configured):
    SuppressionFactory(customer=sms_customer, channel="sms")

    message = _send(sms_customer)

    assert message.status == Message.Status.FAILED
    assert message.refusal_reason == "suppressed"


def test_a_suppressed_number_is_refused_whoever_holds_it(sms_customer, twilio_configured):
    # A STOP from the number, before it was matched to a customer; written differently.
    SuppressionFactory(customer=None, phone="098123 45678", channel="sms")

    message = _send(sms_customer)

    assert message.refusal_reason == "suppressed"


def test_a_suppressed_email_address_is_refused_on_email(sms_customer):
    SuppressionFactory(
        customer=None, email=sms_customer.email.upper(), channel="email", reason="hard_bounce"
    )

    message = _send(sms_customer, channel="email")

    assert message.refusal_reason == "suppressed"


def test_suppression_on_another_channel_does_not_refuse(sms_customer):
    SuppressionFactory(customer=sms_customer, channel="sms")

    message = _send(sms_customer, channel="email")

    assert message.status == Message.Status.QUEUED


def test_consent_is_checked_before_suppression(sms_customer, twilio_configured):
    SuppressionFactory(customer=sms_customer, channel="whatsapp")

    message = _send(sms_customer, channel="whatsapp")

    assert message.refusal_reason == "consent_missing"


def test_quiet_hours_defer_to_the_end_of_quiet_hours_in_the_customers_time_zone(
    sms_customer, twilio_configured
):
    quiet = _quiet_around_now(KOLKATA)
    sms_customer.communication_preferences["quiet_hours"] = quiet
    sms_customer.save()
    before = timezone.now()

    message = _send(sms_customer)

    assert message.status == Message.Status.QUEUED  # deferred, never dropped
    assert message.scheduled_for is not None
    local = message.scheduled_for.astimezone(KOLKATA)
    assert _hhmm(local) == quiet["end"]
    assert (local.second, local.microsecond) == (0, 0)
    assert before < message.scheduled_for <= before + dt.timedelta(hours=2)


def test_quiet_hours_read_in_the_customers_zone_not_the_servers(twilio_configured):
    # Quiet "now" in New York is not quiet in Kolkata (9h30-10h30 apart): no deferral there.
    quiet = _quiet_around_now(ZoneInfo("America/New_York"))
    customer = CustomerFactory(
        phone="+919812345678",
        communication_preferences={
            "consent": {"sms": True},
            "timezone": "Asia/Kolkata",
            "quiet_hours": quiet,
        },
    )

    message = _send(customer)

    assert message.status == Message.Status.QUEUED
    assert message.scheduled_for is None


def test_outside_quiet_hours_a_message_is_not_deferred(sms_customer, twilio_configured):
    local = timezone.now().astimezone(KOLKATA)
    sms_customer.communication_preferences["quiet_hours"] = {
        "start": _hhmm(local + dt.timedelta(hours=2)),
        "end": _hhmm(local + dt.timedelta(hours=4)),
    }
    sms_customer.save()

    message = _send(sms_customer)

    assert message.scheduled_for is None


def test_suppression_is_checked_before_quiet_hours(sms_customer, twilio_configured):
    sms_customer.communication_preferences["quiet_hours"] = _quiet_around_now(KOLKATA)
    sms_customer.save()
    SuppressionFactory(customer=sms_customer, channel="sms")

    message = _send(sms_customer)

    assert message.refusal_reason == "suppressed"
    assert message.scheduled_for is None


def test_the_daily_cap_counts_every_channel(sms_customer, twilio_configured, settings):
    settings.MESSAGING_DAILY_CAP = 2
    first = _send(sms_customer)
    second = _send(sms_customer, channel="email")

    third = _send(sms_customer)

    assert [first.status, second.status] == ["queued", "queued"]
    assert third.status == Message.Status.FAILED
    assert third.refusal_reason == "daily_cap_reached"


def test_the_default_daily_cap_is_three(sms_customer, twilio_configured):
    results = [_send(sms_customer).refusal_reason for _ in range(4)]

    assert results == ["", "", "", "daily_cap_reached"]


def test_refused_sends_do_not_count_toward_the_cap(sms_customer, twilio_configured, settings):
    settings.MESSAGING_DAILY_CAP = 1
    _send(sms_customer, channel="whatsapp")  # refused: no consent

    message = _send(sms_customer)

    assert message.status == Message.Status.QUEUED


def test_messages_of_the_customers_previous_local_day_do_not_count(
    sms_customer, twilio_configured, settings
):
    settings.MESSAGING_DAILY_CAP = 1
    old = MessageFactory(customer=sms_customer)
    local_midnight = dt.datetime.combine(
        timezone.now().astimezone(KOLKATA).date(), dt.time(0, 0), tzinfo=KOLKATA
    )
    Message.objects.filter(pk=old.pk).update(created_at=local_midnight - dt.timedelta(minutes=1))

    message = _send(sms_customer)

    assert message.status == Message.Status.QUEUED


def test_a_reply_within_24_hours_of_an_inbound_message_is_not_capped(
    sms_customer, twilio_configured, settings
):
    settings.MESSAGING_DAILY_CAP = 1
    _send(sms_customer)
    MessageFactory(customer=sms_customer, direction="inbound", status="delivered")

    reply = _send(sms_customer)
    another = _send(sms_customer)

    assert reply.status == Message.Status.QUEUED
    assert reply.is_reply is True
    assert another.status == Message.Status.QUEUED


def test_replies_do_not_use_up_the_cap(sms_customer, twilio_configured, settings):
    settings.MESSAGING_DAILY_CAP = 1
    inbound = MessageFactory(customer=sms_customer, direction="inbound", status="delivered")
    _send(sms_customer)  # a reply
    Message.objects.filter(pk=inbound.pk).delete()

    message = _send(sms_customer)

    assert message.status == Message.Status.QUEUED
    assert message.is_reply is False


def test_an_inbound_message_older_than_24_hours_does_not_make_a_reply(
    sms_customer, twilio_configured, settings
):
    settings.MESSAGING_DAILY_CAP = 1
    _send(sms_customer)
    inbound = MessageFactory(customer=sms_customer, direction="inbound", status="delivered")
    Message.objects.filter(pk=inbound.pk).update(
        created_at=timezone.now() - dt.timedelta(hours=24, minutes=1)
    )

    message = _send(sms_customer)

    assert message.refusal_reason == "daily_cap_reached"


def test_an_unconfigured_channel_is_refused(sms_customer, settings):
    settings.TWILIO_ACCOUNT_SID = ""

    message = _send(sms_customer)

    assert message.status == Message.Status.FAILED
    assert message.refusal_reason == "channel_not_configured"


def test_whatsapp_without_a_token_is_refused_as_not_configured(settings):
    settings.WHATSAPP_ACCESS_TOKEN = ""
    customer = CustomerFactory(
        phone="+919812345678", communication_preferences={"consent": {"whatsapp": True}}
    )

    message = _send(customer, channel="whatsapp")

    assert message.refusal_reason == "channel_not_configured"


def test_a_messaging_service_sid_configures_sms_too(sms_customer, settings):
    settings.TWILIO_ACCOUNT_SID = "AC00000000000000000000000000000000"
    settings.TWILIO_AUTH_TOKEN = "test-auth-token"
    settings.TWILIO_FROM_NUMBER = ""
    settings.TWILIO_MESSAGING_SERVICE_SID = "MG00000000000000000000000000000000"

    message = _send(sms_customer)

    assert message.status == Message.Status.QUEUED


def test_the_cap_is_checked_before_the_channel_configuration(sms_customer, settings):
    settings.MESSAGING_DAILY_CAP = 0
    settings.TWILIO_ACCOUNT_SID = ""

    message = _send(sms_customer)

    assert message.refusal_reason == "daily_cap_reached"


def test_a_deferred_message_still_meets_the_cap(sms_customer, twilio_configured, settings):
    settings.MESSAGING_DAILY_CAP = 0
    sms_customer.communication_preferences["quiet_hours"] = _quiet_around_now(KOLKATA)
    sms_customer.save()

    message = _send(sms_customer)

    assert message.refusal_reason == "daily_cap_reached"
    assert message.scheduled_for is None


def test_every_attempt_is_audited(sms_customer, twilio_configured, admin_user):
    accepted = _send(sms_customer, actor=admin_user)
    refused = _send(sms_customer, channel="whatsapp", actor=admin_user)

    events = AuditEvent.objects.filter(object_type="communications.message").order_by("id")

    assert [(e.action, e.object_id) for e in events] == [
        ("message.queued", str(accepted.pk)),
        ("message.refused", str(refused.pk)),
    ]
    assert events[1].changes["refusal_reason"] == "consent_missing"
    assert accepted.sent_by == admin_user


def test_an_unknown_channel_is_an_error_and_no_row(sms_customer):
    with pytest.raises(MessageChannelInvalidError):
        _send(sms_customer, channel="fax")

    assert not Message.objects.exists()
