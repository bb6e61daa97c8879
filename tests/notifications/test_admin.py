"""The admin console pages and the "send test notification" action."""

import pytest
from django.urls import reverse

from core.models import AuditEvent
from notifications.models import Notification, PushSubscription
from tests.notifications.factories import (
    NotificationFactory,
    NotificationPreferenceFactory,
    PushSubscriptionFactory,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "name",
    [
        "notifications_notification",
        "notifications_notificationpreference",
        "notifications_pushsubscription",
        "notifications_notificationdelivery",
    ],
)
def test_changelists_render(admin_web, name):
    NotificationFactory()
    PushSubscriptionFactory()

    response = admin_web.get(reverse(f"admin:{name}_changelist"))

    assert response.status_code == 200


def test_notification_changelist_filters_by_type_and_read(admin_web, agent_user):
    NotificationFactory(user=agent_user, type="system", title="SYS-ONE")
    NotificationFactory(user=agent_user, type="assignment", title="ASSIGN-ONE")

    response = admin_web.get(
        reverse("admin:notifications_notification_changelist"),
        {"type__exact": "system", "read_status__exact": "0", "q": agent_user.email},
    )

    content = response.content.decode()
    assert "SYS-ONE" in content
    assert "ASSIGN-ONE" not in content


def test_send_test_notification_action(admin_web, agent_user, manager_user, admin_user):
    prefs = [
        NotificationPreferenceFactory(user=agent_user),
        NotificationPreferenceFactory(user=manager_user),
    ]

    response = admin_web.post(
        reverse("admin:notifications_notificationpreference_changelist"),
        {"action": "send_test_notification", "_selected_action": [p.pk for p in prefs]},
        follow=True,
    )

    assert response.status_code == 200
    tests = Notification.objects.filter(type="system", data__test=True)
    assert set(tests.values_list("user_id", flat=True)) == {agent_user.pk, manager_user.pk}
    assert AuditEvent.objects.filter(action="notification.test_send", actor=admin_user).exists()


def test_admin_deletes_a_notification_through_the_service(admin_web, admin_user, agent_user):
    notification = NotificationFactory(user=agent_user)

    response = admin_web.post(
        reverse("admin:notifications_notification_changelist"),
        {"action": "delete_selected", "_selected_action": [notification.pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert not Notification.objects.filter(pk=notification.pk).exists()
    event = AuditEvent.objects.get(action="notification.delete")
    assert event.actor == admin_user


def test_admin_cannot_edit_a_notification(admin_web, agent_user):
    notification = NotificationFactory(user=agent_user, title="Original")

    admin_web.post(
        reverse("admin:notifications_notification_change", args=[notification.pk]),
        {"title": "Changed", "message": "x", "type": "system", "priority": "medium"},
    )

    notification.refresh_from_db()
    assert notification.title == "Original"


def test_admin_saves_preferences_through_the_service(admin_web, admin_user, agent_user):
    pref = NotificationPreferenceFactory(user=agent_user)

    response = admin_web.post(
        reverse("admin:notifications_notificationpreference_change", args=[pref.pk]),
        {
            "channels": "{}",
            "quiet_hours_enabled": "on",
            "quiet_hours_start": "22:00",
            "quiet_hours_end": "07:00",
            "timezone": "Europe/Paris",
            "email_digest": "daily",
        },
    )

    assert response.status_code == 302
    pref.refresh_from_db()
    assert pref.email_digest == "daily"
    assert pref.quiet_hours_enabled is True
    assert pref.timezone == "Europe/Paris"
    event = AuditEvent.objects.get(action="notification_preference.update")
    assert event.actor == admin_user


def test_admin_deletes_a_push_subscription_through_the_service(admin_web, admin_user, agent_user):
    sub = PushSubscriptionFactory(user=agent_user)

    response = admin_web.post(
        reverse("admin:notifications_pushsubscription_changelist"),
        {"action": "delete_selected", "_selected_action": [sub.pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert not PushSubscription.objects.filter(pk=sub.pk).exists()
    assert AuditEvent.objects.get(action="push_subscription.delete").actor == admin_user
