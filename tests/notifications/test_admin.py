"""The admin console pages and the "send test notification" action."""

import pytest
from django.urls import reverse

from core.models import AuditEvent
from notifications.models import Notification
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
