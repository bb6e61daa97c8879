"""Reads of the notifications app. A user only ever sees their own notifications."""

import datetime as dt

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from intelipro.db import in_values
from notifications.models import Notification, NotificationPreference, PushSubscription

# Websocket `sync` answers at most this many missed notifications (oldest first); a client
# that missed more reloads the inbox page through the REST endpoint.
SYNC_LIMIT = 200


def _live(qs: QuerySet[Notification], now: dt.datetime | None = None) -> QuerySet[Notification]:
    """Hide expired notifications (housekeeping deletes them later)."""
    now = now or timezone.now()
    return qs.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))


def notification_list(
    *, user_id: int, read_status: str = "all", type: str = "all"
) -> QuerySet[Notification]:
    qs = _live(Notification.objects.filter(user_id=user_id))
    if read_status == "read":
        qs = qs.filter(read_status=True)
    elif read_status == "unread":
        qs = qs.filter(read_status=False)
    if type and type != "all":
        qs = qs.filter(type=type)
    return qs.order_by("-created_at", "-id")


def notification_get(*, user_id: int, notification_id: int) -> Notification | None:
    return _live(Notification.objects.filter(user_id=user_id, pk=notification_id)).first()


def notification_unread_count(*, user_id: int) -> int:
    return _live(Notification.objects.filter(user_id=user_id, read_status=False)).count()


def notification_unread_counts(*, user_ids: list[int]) -> dict[int, int]:
    """Unread counts of many users in one query (users with none are absent)."""
    rows = (
        _live(Notification.objects.filter(user_id__in=in_values(user_ids), read_status=False))
        .values("user_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["user_id"]: row["n"] for row in rows}


def notification_unread_counts_by_type(*, user_id: int) -> dict[str, int]:
    rows = (
        _live(Notification.objects.filter(user_id=user_id, read_status=False))
        .values("type")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["type"]: row["n"] for row in rows}


def notification_list_since(
    *, user_id: int, since: dt.datetime, limit: int = SYNC_LIMIT
) -> list[Notification]:
    """Notifications created after `since`, oldest first (websocket reconnect `sync`)."""
    qs = _live(Notification.objects.filter(user_id=user_id, created_at__gt=since))
    return list(qs.order_by("created_at", "id")[:limit])


def notification_preference_get(*, user_id: int) -> NotificationPreference | None:
    return NotificationPreference.objects.filter(user_id=user_id).first()


def push_subscription_list(*, user_id: int) -> QuerySet[PushSubscription]:
    return PushSubscription.objects.filter(user_id=user_id).order_by("-created_at", "-id")
