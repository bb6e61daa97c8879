"""Email delivery against a real SMTP server (aiosmtpd) on loopback."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from notifications.models import NotificationDelivery
from notifications.services import notification_create
from notifications.services.delivery import (
    notification_digests_send,
    notification_email_send,
)
from notifications.tasks import notification_email_send_task
from tests.notifications.conftest import free_port
from tests.notifications.factories import NotificationFactory, NotificationPreferenceFactory

pytestmark = pytest.mark.django_db


def _create(user, **kwargs):
    defaults = {"type": "assignment", "title": "Case RC-9 assigned", "message": "Call the holder."}
    return notification_create(user=user, **{**defaults, **kwargs})


def test_email_reaches_a_real_smtp_server_once(
    agent_user, smtp_settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        n = _create(agent_user)
    delivery = NotificationDelivery.objects.get(notification=n)

    notification_email_send_task.delay(delivery_id=delivery.pk)  # a redelivered task
    notification_email_send(delivery_id=delivery.pk)  # and a direct second run

    assert len(smtp_settings.messages) == 1
    message = smtp_settings.messages[0]
    assert message["To"] == agent_user.email
    assert "Case RC-9 assigned" in message["Subject"]
    assert message["Message-ID"] == f"<notification-{delivery.pk}@intelipro.local>"
    kinds = {part.get_content_type() for part in message.walk()}
    assert {"text/plain", "text/html"} <= kinds
    delivery.refresh_from_db()
    assert delivery.status == "sent"
    assert delivery.attempts == 1


def test_smtp_down_puts_the_email_back_with_backoff(agent_user, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    delivery = NotificationDelivery.objects.create(
        notification=NotificationFactory(user=agent_user), channel="email"
    )

    countdown = notification_email_send(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert countdown == dt.timedelta(seconds=30)
    assert delivery.status == "pending"
    assert delivery.attempts == 1
    assert delivery.scheduled_for > timezone.now()
    assert "Connection" in delivery.error or "refused" in delivery.error.lower()


def test_retry_after_smtp_recovers_sends_exactly_once(agent_user, settings, smtp_server):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    delivery = NotificationDelivery.objects.create(
        notification=NotificationFactory(user=agent_user), channel="email"
    )
    notification_email_send(delivery_id=delivery.pk)  # server down: back to pending
    settings.EMAIL_PORT = smtp_server.port  # server up again
    NotificationDelivery.objects.filter(pk=delivery.pk).update(scheduled_for=timezone.now())

    notification_email_send(delivery_id=delivery.pk)
    notification_email_send(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert delivery.status == "sent"
    assert delivery.attempts == 2
    assert len(smtp_server.messages) == 1


def test_retry_waits_for_its_backoff(agent_user, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    delivery = NotificationDelivery.objects.create(
        notification=NotificationFactory(user=agent_user), channel="email"
    )
    notification_email_send(delivery_id=delivery.pk)

    notification_email_send(delivery_id=delivery.pk)  # too early: not claimed

    delivery.refresh_from_db()
    assert delivery.attempts == 1


def test_email_gives_up_after_max_attempts(agent_user, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    settings.NOTIFICATIONS_EMAIL_MAX_ATTEMPTS = 2
    delivery = NotificationDelivery.objects.create(
        notification=NotificationFactory(user=agent_user), channel="email"
    )
    notification_email_send(delivery_id=delivery.pk)
    NotificationDelivery.objects.filter(pk=delivery.pk).update(scheduled_for=timezone.now())

    countdown = notification_email_send(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert countdown is None
    assert delivery.status == "failed"


def test_permanent_smtp_refusal_is_not_retried(agent_user, smtp_settings):
    from aiosmtpd.controller import Controller

    class Refuse:
        async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
            return "550 5.1.1 no such user"

    port = free_port()
    controller = Controller(Refuse(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        from django.conf import settings as dj

        dj.EMAIL_PORT = port
        delivery = NotificationDelivery.objects.create(
            notification=NotificationFactory(user=agent_user), channel="email"
        )

        countdown = notification_email_send(delivery_id=delivery.pk)
    finally:
        controller.stop()

    delivery.refresh_from_db()
    assert countdown is None
    assert delivery.status == "failed"
    assert "550" in delivery.error


def _digest_rows(user, count: int) -> list:
    rows = []
    for i in range(count):
        n = NotificationFactory(user=user, title=f"Digest item {i}")
        rows.append(
            NotificationDelivery.objects.create(notification=n, channel="email", digest=True)
        )
    return rows


def test_hourly_digest_sends_one_mail_with_every_pending_item(agent_user, smtp_settings):
    NotificationPreferenceFactory(user=agent_user, email_digest="hourly")
    rows = _digest_rows(agent_user, 3)

    sent = notification_digests_send()
    again = notification_digests_send()

    assert (sent, again) == (1, 0)
    assert len(smtp_settings.messages) == 1
    body = smtp_settings.messages[0].get_payload()[0].get_payload(decode=True).decode()
    for i in range(3):
        assert f"Digest item {i}" in body
    assert "3 new notifications" in smtp_settings.messages[0]["Subject"]
    assert {r.status for r in NotificationDelivery.objects.filter(pk__in=[r.pk for r in rows])} == {
        "sent"
    }


def test_daily_digest_waits_for_the_users_local_hour(agent_user, settings):
    settings.NOTIFICATIONS_DIGEST_DAILY_HOUR = 8
    NotificationPreferenceFactory(user=agent_user, email_digest="daily", timezone="Asia/Kolkata")
    _digest_rows(agent_user, 2)
    seven_local = dt.datetime.now(dt.UTC).replace(hour=1, minute=30, second=0, microsecond=0)
    eight_local = seven_local + dt.timedelta(hours=1)  # 02:30 UTC = 08:00 Kolkata

    early = notification_digests_send(now=seven_local)
    on_time = notification_digests_send(now=eight_local)

    assert (early, on_time) == (0, 1)
    assert len(mail.outbox) == 1


def test_digest_is_held_during_quiet_hours(agent_user):
    now = dt.datetime(2026, 5, 1, 23, 0, tzinfo=dt.UTC)
    NotificationPreferenceFactory(
        user=agent_user,
        email_digest="hourly",
        quiet_hours_enabled=True,
        quiet_hours_start=dt.time(22, 0),
        quiet_hours_end=dt.time(6, 0),
        timezone="UTC",
    )
    _digest_rows(agent_user, 1)

    assert notification_digests_send(now=now) == 0
    assert notification_digests_send(now=now + dt.timedelta(hours=8)) == 1


def test_digest_rows_of_a_user_who_turned_digest_off_go_out_one_by_one(agent_user):
    NotificationPreferenceFactory(user=agent_user, email_digest="off")
    (row,) = _digest_rows(agent_user, 1)

    notification_digests_send()

    row.refresh_from_db()
    assert row.digest is False
    assert row.status == "pending"
