"""Beat tasks: the delivery dispatcher and housekeeping."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from notifications.models import Notification, NotificationDelivery
from notifications.services.delivery import (
    notification_deliveries_dispatch,
    notification_housekeeping,
)
from notifications.tasks import (
    notification_deliveries_dispatch_task,
    notification_digests_send_task,
    notification_housekeeping_task,
)
from tests.notifications.factories import NotificationFactory, NotificationPreferenceFactory

pytestmark = pytest.mark.django_db


def _email_row(user, **kwargs) -> NotificationDelivery:
    return NotificationDelivery.objects.create(
        notification=NotificationFactory(user=user), channel="email", **kwargs
    )


def test_dispatch_sends_deliveries_whose_quiet_hours_ended(agent_user):
    row = _email_row(agent_user, scheduled_for=timezone.now() - dt.timedelta(seconds=1))

    notification_deliveries_dispatch_task.delay()

    row.refresh_from_db()
    assert row.status == "sent"
    assert len(mail.outbox) == 1


def test_dispatch_leaves_future_deliveries_alone(agent_user):
    row = _email_row(agent_user, scheduled_for=timezone.now() + dt.timedelta(hours=1))

    result = notification_deliveries_dispatch()

    row.refresh_from_db()
    assert result["enqueued"] == 0
    assert row.status == "pending"


def test_dispatch_picks_up_a_lost_enqueue(agent_user):
    row = _email_row(agent_user)
    NotificationDelivery.objects.filter(pk=row.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=5)
    )

    notification_deliveries_dispatch()

    row.refresh_from_db()
    assert row.status == "sent"


def test_dispatch_does_not_touch_fresh_rows_whose_task_is_queued(agent_user):
    row = _email_row(agent_user)

    result = notification_deliveries_dispatch()

    assert result["enqueued"] == 0
    row.refresh_from_db()
    assert row.status == "pending"


def test_dispatch_fails_a_stale_claim_instead_of_sending_twice(agent_user):
    row = _email_row(
        agent_user, status="sending", claimed_at=timezone.now() - dt.timedelta(hours=2)
    )

    result = notification_deliveries_dispatch()

    row.refresh_from_db()
    assert result["stale_failed"] == 1
    assert row.status == "failed"
    assert mail.outbox == []


def test_digest_task_sends_due_digests(agent_user):
    NotificationPreferenceFactory(user=agent_user, email_digest="hourly")
    _email_row(agent_user, digest=True)

    notification_digests_send_task.delay()

    assert len(mail.outbox) == 1


def test_housekeeping_purges_expired_and_old_read(agent_user, settings):
    settings.NOTIFICATIONS_RETENTION_DAYS = 30
    now = timezone.now()
    expired = NotificationFactory(user=agent_user, expires_at=now - dt.timedelta(minutes=1))
    old_read = NotificationFactory(
        user=agent_user, read_status=True, read_at=now - dt.timedelta(days=31)
    )
    recent_read = NotificationFactory(
        user=agent_user, read_status=True, read_at=now - dt.timedelta(days=29)
    )
    unread = NotificationFactory(user=agent_user)
    NotificationDelivery.objects.create(notification=expired, channel="email")

    notification_housekeeping_task.delay()

    remaining = set(Notification.objects.values_list("pk", flat=True))
    assert expired.pk not in remaining
    assert old_read.pk not in remaining
    assert {recent_read.pk, unread.pk} <= remaining


def test_housekeeping_purges_very_old_unread(agent_user, settings):
    settings.NOTIFICATIONS_UNREAD_RETENTION_DAYS = 10
    old = NotificationFactory(user=agent_user)
    Notification.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=11))

    result = notification_housekeeping()

    assert result["deleted"] == 1
    assert not Notification.objects.filter(pk=old.pk).exists()


def test_housekeeping_keeps_unread_forever_when_retention_is_zero(agent_user, settings):
    settings.NOTIFICATIONS_UNREAD_RETENTION_DAYS = 0
    old = NotificationFactory(user=agent_user)
    Notification.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - dt.timedelta(days=999)
    )

    notification_housekeeping()

    assert Notification.objects.filter(pk=old.pk).exists()


def test_beat_schedule_has_the_notification_tasks(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert {
        "notifications.tasks.notification_deliveries_dispatch_task",
        "notifications.tasks.notification_digests_send_task",
        "notifications.tasks.notification_housekeeping_task",
    } <= tasks
