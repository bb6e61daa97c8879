"""Every write of the notifications app. Other apps import from here:

from notifications.services import notification_create, notification_event_send
"""

from notifications.services.inbox import (
    notification_broadcast,
    notification_create,
    notification_delete,
    notification_event_send,
    notification_mark_all_read,
    notification_mark_read,
    notification_test_send,
)

__all__ = [
    "notification_broadcast",
    "notification_create",
    "notification_delete",
    "notification_event_send",
    "notification_mark_all_read",
    "notification_mark_read",
    "notification_test_send",
]
