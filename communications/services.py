"""The send gate: the only way any part of the product sends to a customer.

`message_send` checks, in this order, and records every attempt as a `Message` row:
1. consent for the channel in the customer's preferences (explicit opt-in only);
2. the suppression list (opt-outs, STOP replies, hard bounces, invalid numbers);
3. quiet hours in the customer's time zone: the message is deferred (`queued` with
   `scheduled_for` at the next allowed minute), never dropped;
4. the daily cap across channels (`MESSAGING_DAILY_CAP` per customer per local day; replies
   within 24 hours of the customer's own inbound message don't count);
5. the channel is configured (`channel_not_configured` otherwise).
A refusal is a `failed` row with its `refusal_reason`. Accepted SMS rows are handed to Twilio
by `message_deliver` in a task enqueued on commit (at `scheduled_for` when deferred); email and
WhatsApp delivery are not built yet (docs/communications.md, "Not done yet").
"""

import datetime as dt
from functools import partial
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from communications.errors import MessageChannelInvalidError
from communications.models import Channel, Message, Suppression
from communications.phones import phone_e164
from communications.providers import twilio_sms
from communications.tasks import message_deliver_task
from core.fields import keyed_hash, normalize_email, normalize_phone
from core.services import audit_log
from renewals.models import Customer

if TYPE_CHECKING:
    from accounts.models import User

Reason = Message.RefusalReason

# An inbound message this recent makes our answer a reply (not counted by the daily cap).
REPLY_WINDOW = dt.timedelta(hours=24)


def customer_timezone(customer: Customer) -> ZoneInfo:
    """The customer's IANA time zone from their preferences, else the project's."""
    name = (customer.communication_preferences or {}).get("timezone") or settings.TIME_ZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def _hhmm(value: str) -> dt.time:
    hours, minutes = value.split(":")
    return dt.time(int(hours), int(minutes))


def quiet_hours_release_at(*, customer: Customer, now: dt.datetime) -> dt.datetime | None:
    """When quiet hours end, if `now` falls inside them in the customer's time zone.

    `quiet_hours` = {"start": "21:00", "end": "08:00"} (local wall-clock times; a window may
    span midnight; start == end means none). Returns None outside quiet hours, else the next
    local `end` minute as an aware datetime (DST-correct: built from the local date and time).
    """
    quiet = (customer.communication_preferences or {}).get("quiet_hours") or {}
    if not quiet.get("start") or not quiet.get("end"):
        return None
    start, end = _hhmm(quiet["start"]), _hhmm(quiet["end"])
    if start == end:
        return None
    tz = customer_timezone(customer)
    local = now.astimezone(tz)
    t = local.time().replace(second=0, microsecond=0)
    inside = (start <= t < end) if start < end else (t >= start or t < end)
    if not inside:
        return None
    release = dt.datetime.combine(local.date(), end, tzinfo=tz)
    if release <= local:
        release = dt.datetime.combine(local.date() + dt.timedelta(days=1), end, tzinfo=tz)
    return release


def channel_configured(channel: str) -> bool:
    """Whether the project has what it needs to send on `channel` (from settings)."""
    if channel == Channel.SMS:
        return bool(
            settings.TWILIO_ACCOUNT_SID
            and settings.TWILIO_AUTH_TOKEN
            and (settings.TWILIO_MESSAGING_SERVICE_SID or settings.TWILIO_FROM_NUMBER)
        )
    if channel == Channel.WHATSAPP:
        return bool(settings.WHATSAPP_ACCESS_TOKEN and settings.WHATSAPP_PHONE_NUMBER_ID)
    # Email goes through Django's configured email backend, which always exists.
    return channel == Channel.EMAIL


def _address(customer: Customer, channel: str) -> str:
    return customer.email if channel == Channel.EMAIL else customer.phone


def _is_suppressed(*, customer: Customer, channel: str) -> bool:
    target = Q(customer=customer)
    if channel == Channel.EMAIL:
        email_hash = keyed_hash(normalize_email(customer.email))
        if customer.email:
            target |= Q(email_hash=email_hash)
    elif customer.phone:
        target |= Q(phone_hash=keyed_hash(normalize_phone(customer.phone)))
    return Suppression.objects.filter(target, channel=channel).exists()


def _local_day_start(*, customer: Customer, now: dt.datetime) -> dt.datetime:
    tz = customer_timezone(customer)
    return dt.datetime.combine(now.astimezone(tz).date(), dt.time(0, 0), tzinfo=tz)


def _sent_today(*, customer: Customer, now: dt.datetime) -> int:
    """Outbound messages of the customer's local day that count toward the cap (not refused,
    not replies), all channels."""
    return Message.objects.filter(
        customer=customer,
        direction=Message.Direction.OUTBOUND,
        created_at__gte=_local_day_start(customer=customer, now=now),
        refusal_reason="",
        is_reply=False,
    ).count()


def _has_recent_inbound(*, customer: Customer, now: dt.datetime) -> bool:
    return Message.objects.filter(
        customer=customer,
        direction=Message.Direction.INBOUND,
        created_at__gte=now - REPLY_WINDOW,
    ).exists()


def message_send(
    *,
    customer_id: int,
    channel: str,
    body: str | None = None,
    template: str | None = None,
    variables: dict[str, Any] | None = None,
    case_id: int | None = None,
    campaign_id: int | None = None,
    actor: "User | None" = None,
) -> Message:
    """Send `body` or `template` to a customer on `channel` through the gate.

    Returns the `Message` row: `queued` when accepted (with `scheduled_for` when quiet hours
    defer it), `failed` with `refusal_reason` when refused. Never raises for a refusal, so the
    refusal row is kept. The customer row is locked for the checks, so two concurrent sends
    can't both take the last slot of the daily cap.
    """
    if channel not in Channel.values:
        raise MessageChannelInvalidError(details={"channel": channel})
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer_id)
        now = timezone.now()
        is_reply = _has_recent_inbound(customer=customer, now=now)
        message = Message(
            customer=customer,
            channel=channel,
            direction=Message.Direction.OUTBOUND,
            body=body or "",
            template=template or "",
            variables=variables or {},
            case_id=case_id,
            campaign_id=campaign_id,
            is_reply=is_reply,
            sent_by=actor if actor is not None and actor.is_authenticated else None,
        )
        refusal = ""
        if not customer.consents_to(channel):
            refusal = Reason.CONSENT_MISSING
        elif not _address(customer, channel):
            refusal = Reason.NO_ADDRESS
        elif _is_suppressed(customer=customer, channel=channel):
            refusal = Reason.SUPPRESSED
        else:
            message.scheduled_for = quiet_hours_release_at(customer=customer, now=now)
            if not is_reply and _sent_today(customer=customer, now=now) >= (
                settings.MESSAGING_DAILY_CAP
            ):
                refusal = Reason.DAILY_CAP_REACHED
            elif not channel_configured(channel):
                refusal = Reason.CHANNEL_NOT_CONFIGURED
        if refusal:
            message.status = Message.Status.FAILED
            message.refusal_reason = refusal
            message.scheduled_for = None
        message.save()
        audit_log(
            action="message.refused" if refusal else "message.queued",
            actor=actor,
            obj=message,
            changes={
                "customer_id": customer.pk,
                "channel": channel,
                "refusal_reason": refusal,
                "scheduled_for": message.scheduled_for,
            },
        )
        if not refusal and channel == Channel.SMS:
            transaction.on_commit(
                partial(
                    message_deliver_task.apply_async,
                    kwargs={"message_id": message.pk},
                    eta=message.scheduled_for,
                )
            )
    return message


def message_deliver(*, message_id: int) -> Message:
    """Hand one accepted SMS to Twilio and record the outcome on its row.

    Safe to run twice: the row is claimed by compare-and-set on `dispatched_at` before the
    provider is called (no network I/O inside a transaction), so a redelivered task stops
    there. A row not yet due (`scheduled_for` ahead) is left for its own task. A transient
    provider failure releases the claim and raises SmsProviderUnavailableError (the task
    retries); a permanent one is recorded as `failed` with the provider's error code.
    """
    now = timezone.now()
    claimed = (
        Message.objects.filter(
            pk=message_id,
            channel=Channel.SMS,
            direction=Message.Direction.OUTBOUND,
            status=Message.Status.QUEUED,
            dispatched_at__isnull=True,
        )
        .filter(Q(scheduled_for__isnull=True) | Q(scheduled_for__lte=now))
        .update(dispatched_at=now)
    )
    message = Message.objects.select_related("customer").get(pk=message_id)
    if not claimed:
        return message
    to = phone_e164(message.customer.phone)
    if to is None:
        return _delivery_record(message, status=Message.Status.FAILED, error_code="invalid_number")
    try:
        result = twilio_sms.sms_send(to=to, body=message.body, status_callback=_status_callback())
    except twilio_sms.SmsProviderUnavailableError:
        Message.objects.filter(pk=message.pk).update(dispatched_at=None)
        raise
    if not result.ok:
        return _delivery_record(message, status=Message.Status.FAILED, error_code=result.error_code)
    return _delivery_record(
        message,
        status=Message.Status.SENT,
        provider_message_id=result.provider_message_id,
        segments=result.segments,
        cost=result.cost,
    )


def _status_callback() -> str:
    """Where Twilio reports delivery: only with a public origin (PUBLIC_BASE_URL) to call."""
    if not settings.PUBLIC_BASE_URL:
        return ""
    base: str = settings.PUBLIC_BASE_URL
    return base.rstrip("/") + reverse("api:communications:twilio-status")


# Twilio's message statuses, as ours. Twilio's intermediate ones (accepted, scheduled,
# sending) are still "queued" for us; undelivered is a failure.
TWILIO_STATUSES = {
    "queued": Message.Status.QUEUED,
    "accepted": Message.Status.QUEUED,
    "scheduled": Message.Status.QUEUED,
    "sending": Message.Status.QUEUED,
    "sent": Message.Status.SENT,
    "delivered": Message.Status.DELIVERED,
    "read": Message.Status.READ,
    "undelivered": Message.Status.FAILED,
    "failed": Message.Status.FAILED,
}
# How far along a message is: a status event never moves a row back (callbacks arrive out of
# order; `failed` after `sent` is an undelivered message, `read` outranks everything).
STATUS_RANK = {
    Message.Status.QUEUED: 0,
    Message.Status.SENT: 1,
    Message.Status.DELIVERED: 2,
    Message.Status.FAILED: 2,
    Message.Status.READ: 3,
}


def message_status_record(
    *, provider_message_id: str, provider_status: str, error_code: str = ""
) -> bool:
    """Apply a provider's status event to the message it names. Returns whether it changed.

    Idempotent and ordered: the update is a compare-and-set that only moves a row forward
    (STATUS_RANK), so the same event twice, or an older event after a newer one, changes
    nothing. Unknown message ids and statuses are ignored (another environment's messages).
    """
    status = TWILIO_STATUSES.get(provider_status)
    if status is None or not provider_message_id:
        return False
    behind = [s for s, rank in STATUS_RANK.items() if rank < STATUS_RANK[status]]
    with transaction.atomic():
        changed = Message.objects.filter(
            provider_message_id=provider_message_id,
            direction=Message.Direction.OUTBOUND,
            status__in=behind,
        ).update(status=status, provider_error_code=error_code, updated_at=timezone.now())
        if changed:
            audit_log(
                action="message.status_updated",
                object_type="communications.message",
                object_id=provider_message_id,
                changes={"status": status, "provider_error_code": error_code},
            )
    return bool(changed)


def _delivery_record(message: Message, *, status: str, **fields: Any) -> Message:
    with transaction.atomic():
        message.status = status
        message.provider_error_code = fields.pop("error_code", "")
        for name, value in fields.items():
            setattr(message, name, value)
        message.save(
            update_fields=[
                "status",
                "provider_error_code",
                *fields,
                "updated_at",
            ]
        )
        audit_log(
            action="message.sent" if status == Message.Status.SENT else "message.failed",
            obj=message,
            changes={"status": status, "provider_error_code": message.provider_error_code},
        )
    return message
