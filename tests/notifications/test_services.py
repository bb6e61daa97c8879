"""notification_create and friends: what is stored, what is queued, what commits."""

import datetime as dt

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from notifications.errors import NotificationInvalidPriorityError, NotificationInvalidTypeError
from notifications.models import Notification, NotificationDelivery
from notifications.preferences import quiet_hours_end
from notifications.services import notification_broadcast, notification_create
from tests.notifications.factories import NotificationPreferenceFactory, PushSubscriptionFactory

pytestmark = pytest.mark.django_db


def _create(user, **kwargs) -> Notification:
    defaults = {"type": "assignment", "title": "Case RC-1 assigned", "message": "It is yours."}
    return notification_create(user=user, **{**defaults, **kwargs})


def test_create_accepts_a_user_or_an_id(agent_user):
    by_user = _create(agent_user)
    by_id = _create(agent_user.pk)

    assert by_user.user_id == by_id.user_id == agent_user.pk


def test_create_stores_every_field(agent_user):
    expires = timezone.now() + dt.timedelta(days=3)

    n = _create(agent_user, data={"case_id": 5}, priority="high", expires_at=expires)

    n.refresh_from_db()
    assert (n.type, n.priority, n.data, n.expires_at) == (
        "assignment",
        "high",
        {"case_id": 5},
        expires,
    )
    assert n.read_status is False
    assert n.read_at is None


def test_create_rejects_unknown_type(agent_user):
    with pytest.raises(NotificationInvalidTypeError) as err:
        _create(agent_user, type="gossip")

    assert err.value.code == "notification_invalid_type"
    assert not Notification.objects.exists()


def test_create_rejects_unknown_priority(agent_user):
    with pytest.raises(NotificationInvalidPriorityError):
        _create(agent_user, priority="critical")


def test_create_emails_only_after_commit(agent_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _create(agent_user)

    assert mail.outbox == []
    assert callbacks


def _create_then_fail(user) -> None:
    with transaction.atomic():
        _create(user)
        raise RuntimeError("the caller's change failed")


def test_create_sends_nothing_on_rollback(agent_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        _create_then_fail(agent_user)

    assert mail.outbox == []
    assert not NotificationDelivery.objects.exists()


def test_create_emails_by_default_for_assignments(agent_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        n = _create(agent_user)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [agent_user.email]
    assert "Case RC-1 assigned" in message.subject
    assert "It is yours." in message.body
    assert message.alternatives[0][1] == "text/html"
    delivery = NotificationDelivery.objects.get(notification=n)
    assert delivery.status == "sent"
    assert delivery.sent_at is not None


def test_create_does_not_email_batch_progress_by_default(
    agent_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _create(agent_user, type="batch")

    assert mail.outbox == []
    assert not NotificationDelivery.objects.exists()


def test_create_honours_email_off(agent_user, django_capture_on_commit_callbacks):
    NotificationPreferenceFactory(user=agent_user, channels={"assignment": {"email": False}})

    with django_capture_on_commit_callbacks(execute=True):
        _create(agent_user)

    assert mail.outbox == []


def test_create_honours_email_on_for_a_default_off_type(
    agent_user, django_capture_on_commit_callbacks
):
    NotificationPreferenceFactory(user=agent_user, channels={"system": {"email": True}})

    with django_capture_on_commit_callbacks(execute=True):
        _create(agent_user, type="system")

    assert len(mail.outbox) == 1


def test_email_to_inactive_user_is_skipped(agent_user, django_capture_on_commit_callbacks):
    agent_user.status = "inactive"
    agent_user.save()

    with django_capture_on_commit_callbacks(execute=True):
        n = _create(agent_user)

    assert mail.outbox == []
    assert NotificationDelivery.objects.get(notification=n).status == "skipped"


def _quiet(user, start="22:00", end="07:00", tz="Asia/Kolkata", **kwargs):
    return NotificationPreferenceFactory(
        user=user,
        quiet_hours_enabled=True,
        quiet_hours_start=dt.time.fromisoformat(start),
        quiet_hours_end=dt.time.fromisoformat(end),
        timezone=tz,
        **kwargs,
    )


def test_quiet_hours_delay_email_until_they_end(agent_user, django_capture_on_commit_callbacks):
    # Quiet all day except one minute, whatever the wall clock: the email must wait.
    now_local = timezone.now().astimezone(dt.UTC)
    start = (now_local - dt.timedelta(hours=1)).strftime("%H:%M")
    end = (now_local + dt.timedelta(hours=1)).strftime("%H:%M")
    _quiet(agent_user, start=start, end=end, tz="UTC")

    with django_capture_on_commit_callbacks(execute=True):
        n = _create(agent_user)

    assert mail.outbox == []
    delivery = NotificationDelivery.objects.get(notification=n)
    assert delivery.status == "pending"
    assert delivery.scheduled_for > timezone.now()


def test_urgent_priority_skips_quiet_hours(agent_user, django_capture_on_commit_callbacks):
    now_utc = timezone.now().astimezone(dt.UTC)
    _quiet(
        agent_user,
        start=(now_utc - dt.timedelta(hours=1)).strftime("%H:%M"),
        end=(now_utc + dt.timedelta(hours=1)).strftime("%H:%M"),
        tz="UTC",
    )

    with django_capture_on_commit_callbacks(execute=True):
        _create(agent_user, priority="urgent")

    assert len(mail.outbox) == 1


def test_quiet_hours_wrap_midnight_in_the_users_zone(agent_user):
    pref = _quiet(agent_user, start="22:00", end="07:00", tz="Asia/Kolkata")
    # 23:30 in Kolkata (UTC+5:30) is 18:00 UTC.
    now = dt.datetime(2026, 3, 10, 18, 0, tzinfo=dt.UTC)

    ends = quiet_hours_end(pref, now)

    assert ends == dt.datetime(2026, 3, 11, 1, 30, tzinfo=dt.UTC)  # 07:00 Kolkata next day


def test_quiet_hours_after_midnight_end_the_same_day(agent_user):
    pref = _quiet(agent_user, start="22:00", end="07:00", tz="Asia/Kolkata")
    now = dt.datetime(2026, 3, 10, 20, 0, tzinfo=dt.UTC)  # 01:30 Kolkata, 11 March

    assert quiet_hours_end(pref, now) == dt.datetime(2026, 3, 11, 1, 30, tzinfo=dt.UTC)


def test_outside_quiet_hours_is_none(agent_user):
    pref = _quiet(agent_user, start="22:00", end="07:00", tz="Asia/Kolkata")
    now = dt.datetime(2026, 3, 10, 6, 0, tzinfo=dt.UTC)  # 11:30 Kolkata

    assert quiet_hours_end(pref, now) is None


def test_quiet_hours_follow_daylight_saving(agent_user):
    pref = _quiet(agent_user, start="22:00", end="07:00", tz="America/New_York")
    # 23:00 EST on 7 March 2026; DST starts 8 March 02:00, so 07:00 next morning is EDT.
    now = dt.datetime(2026, 3, 8, 4, 0, tzinfo=dt.UTC)

    assert quiet_hours_end(pref, now) == dt.datetime(2026, 3, 8, 11, 0, tzinfo=dt.UTC)


def test_digest_mode_queues_email_for_the_digest(agent_user, django_capture_on_commit_callbacks):
    NotificationPreferenceFactory(user=agent_user, email_digest="hourly")

    with django_capture_on_commit_callbacks(execute=True):
        n = _create(agent_user)

    assert mail.outbox == []
    delivery = NotificationDelivery.objects.get(notification=n)
    assert (delivery.status, delivery.digest) == ("pending", True)


def test_push_delivery_row_per_subscription_when_push_is_on(
    agent_user, vapid_keys, django_capture_on_commit_callbacks
):
    PushSubscriptionFactory.create_batch(2, user=agent_user)

    with django_capture_on_commit_callbacks(execute=False):
        n = _create(agent_user)

    assert NotificationDelivery.objects.filter(notification=n, channel="push").count() == 2


def test_no_push_rows_when_push_is_not_configured(agent_user, settings):
    settings.USE_WEB_PUSH = False
    PushSubscriptionFactory(user=agent_user)

    n = _create(agent_user)

    assert not NotificationDelivery.objects.filter(notification=n, channel="push").exists()


def test_broadcast_creates_one_notification_per_user_and_honours_preferences(
    agent_user, manager_user, viewer_user, django_capture_on_commit_callbacks
):
    NotificationPreferenceFactory(user=manager_user, channels={"assignment": {"email": False}})

    with django_capture_on_commit_callbacks(execute=True):
        count = notification_broadcast(
            user_ids=[agent_user.pk, manager_user.pk, viewer_user.pk, agent_user.pk],
            type="assignment",
            title="Team update",
            message="m",
        )

    assert count == 3
    assert Notification.objects.filter(title="Team update").count() == 3
    assert sorted(m.to[0] for m in mail.outbox) == sorted([agent_user.email, viewer_user.email])


def test_broadcast_to_many_users_counts_unread_and_honours_each_users_preferences(
    django_capture_on_commit_callbacks,
):
    """Past MANY_VALUES users the queries pass the ids as one array on PostgreSQL."""
    from intelipro.db import MANY_VALUES
    from notifications import selectors
    from tests.accounts.factories import UserFactory

    users = UserFactory.create_batch(MANY_VALUES + 10)
    quiet, loud = users[0], users[1]
    NotificationPreferenceFactory(user=quiet, channels={"assignment": {"email": False}})
    NotificationPreferenceFactory(user=loud, channels={"assignment": {"email": True}})
    _create(loud)  # one unread already

    with django_capture_on_commit_callbacks(execute=True):
        count = notification_broadcast(
            user_ids=[u.pk for u in users], type="assignment", title="All hands", message="m"
        )

    assert count == len(users)
    counts = selectors.notification_unread_counts(user_ids=[u.pk for u in users])
    assert (counts[loud.pk], counts[quiet.pk]) == (2, 1)
    assert set(counts) == {u.pk for u in users}
    emailed = set(
        NotificationDelivery.objects.filter(
            notification__title="All hands", channel="email"
        ).values_list("notification__user_id", flat=True)
    )
    assert emailed == {u.pk for u in users} - {quiet.pk}


def test_broadcast_rejects_unknown_type(agent_user):
    with pytest.raises(NotificationInvalidTypeError):
        notification_broadcast(user_ids=[agent_user.pk], type="nope", title="t", message="m")
