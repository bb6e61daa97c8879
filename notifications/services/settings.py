"""User-side settings: notification preferences and web-push subscriptions."""

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db import transaction

from core.services import audit_log
from notifications.errors import PushSubscriptionNotFoundError
from notifications.models import NotificationPreference, PushSubscription
from notifications.preferences import channels_for, normalize_channels

if TYPE_CHECKING:
    from accounts.models import User


def notification_preference_update(
    *,
    user: "User",
    channels: dict[str, dict[str, bool]] | None = None,
    quiet_hours: dict[str, Any] | None = None,
    email_digest: str | None = None,
    actor: "User | None" = None,
) -> NotificationPreference:
    """Merge the given choices into the user's preferences (what is left out stays).
    `actor`: who did it, when not the user (staff in the admin)."""
    with transaction.atomic():
        pref, _ = NotificationPreference.objects.select_for_update().get_or_create(user=user)
        before = _snapshot(pref)
        if channels:
            merged = channels_for(pref)
            for type_, row in normalize_channels(channels).items():
                merged[type_].update(row)
            pref.channels = merged
        if quiet_hours:
            if "enabled" in quiet_hours:
                pref.quiet_hours_enabled = quiet_hours["enabled"]
            if "start" in quiet_hours:
                pref.quiet_hours_start = quiet_hours["start"]
            if "end" in quiet_hours:
                pref.quiet_hours_end = quiet_hours["end"]
            if "timezone" in quiet_hours:
                pref.timezone = quiet_hours["timezone"]
        if email_digest:
            pref.email_digest = email_digest
        after = _snapshot(pref)
        if after != before:
            pref.save()
            audit_log(
                action="notification_preference.update",
                actor=actor or user,
                obj=pref,
                changes={k: [before[k], after[k]] for k in after if after[k] != before[k]},
            )
    return pref


def _snapshot(pref: NotificationPreference) -> dict[str, Any]:
    def hhmm(value: dt.time | None) -> str | None:
        return value.strftime("%H:%M") if value else None

    return {
        "channels": channels_for(pref),
        "quiet_hours_enabled": pref.quiet_hours_enabled,
        "quiet_hours_start": hhmm(pref.quiet_hours_start),
        "quiet_hours_end": hhmm(pref.quiet_hours_end),
        "timezone": pref.timezone,
        "email_digest": pref.email_digest,
    }


def push_subscription_upsert(
    *,
    user: "User",
    endpoint: str,
    p256dh: str,
    auth: str,
    expiration_time: dt.datetime | None = None,
    user_agent: str = "",
) -> tuple[PushSubscription, bool]:
    """Save a browser's PushSubscription for `user`. Returns (subscription, created).

    The endpoint identifies the browser: posting it again refreshes the keys, and a browser
    that signs in as another user moves to that user (one browser, one owner).
    """
    with transaction.atomic():
        existing = PushSubscription.objects.select_for_update().filter(endpoint=endpoint).first()
        created = existing is None
        sub = PushSubscription(endpoint=endpoint) if existing is None else existing
        previous_owner = None if existing is None else existing.user_id
        sub.user = user
        sub.p256dh = p256dh
        sub.auth = auth
        sub.expiration_time = expiration_time
        sub.user_agent = user_agent[:500]
        sub.save()
        if created or previous_owner != user.pk:
            audit_log(
                action="push_subscription.create",
                actor=user,
                obj=sub,
                changes={"previous_user_id": previous_owner} if previous_owner else {},
            )
    return sub, created


def push_subscription_delete(*, user: "User", endpoint: str, actor: "User | None" = None) -> None:
    """Forget the user's subscription for `endpoint` (the browser unsubscribed, or staff in
    the admin: `actor`)."""
    with transaction.atomic():
        sub = PushSubscription.objects.filter(user=user, endpoint=endpoint).first()
        if sub is None:
            raise PushSubscriptionNotFoundError(details={"endpoint": endpoint})
        audit_log(action="push_subscription.delete", actor=actor or user, obj=sub)
        sub.delete()
