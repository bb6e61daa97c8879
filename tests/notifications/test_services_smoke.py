import pytest
from django.core import mail

from notifications.models import Notification, NotificationDelivery
from notifications.services import notification_create, notification_event_send

pytestmark = pytest.mark.django_db


def test_create_stores_and_emails_once(agent_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        n = notification_create(user=agent_user.pk, type="assignment", title="T", message="M")

    assert Notification.objects.get(pk=n.pk).user_id == agent_user.pk
    assert NotificationDelivery.objects.get(notification=n).status == "sent"
    assert len(mail.outbox) == 1


def test_event_send_outside_transaction(agent_user):
    notification_event_send(user_id=agent_user.pk, type="progress", data={"processed": 1})
