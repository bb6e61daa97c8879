"""Email and web-push deliveries, digests, the dispatcher and housekeeping.

Every delivery is one NotificationDelivery row. A sender first claims it with a
compare-and-set (pending -> sending); only the winner talks to the mail server or push
service, so a task that runs twice (acks_late redelivery, the dispatcher re-enqueuing a
row) never sends twice. No network I/O happens inside a transaction.
"""

import datetime as dt
import json
import logging
import smtplib
import socket
from typing import Any

import requests
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from notifications.models import (
    Notification,
    NotificationDelivery,
    NotificationPreference,
    PushSubscription,
)
from notifications.preferences import local_hour, quiet_hours_end
from notifications.push_endpoints import (
    PushEndpointRefusedError,
    push_endpoint_check,
    push_session,
)

logger = logging.getLogger(__name__)

Status = NotificationDelivery.Status
Channel = NotificationDelivery.Channel

# Rows the dispatcher looks at per run; it re-enqueues itself while more are due.
DISPATCH_BATCH = 500
# A pending row with no schedule whose task never ran (enqueue lost while the broker was
# down) is picked up by the dispatcher after this long; normal tasks run well before.
LOST_ENQUEUE_AFTER = dt.timedelta(minutes=2)
# Rows deleted per housekeeping statement: bounded lock time and WAL per statement.
PURGE_BATCH = 5000
# Web push payloads are limited to ~4 KB by push services; keep the message short.
PUSH_MESSAGE_CHARS = 1000
# Most notifications per digest mail; the rest go in the next one.
DIGEST_MAX_ITEMS = 200


def _backoff(attempts: int) -> dt.timedelta:
    """30 s, 1, 2, 4, 8 ... minutes, capped at an hour."""
    return dt.timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def _claim_lease() -> dt.timedelta:
    # A claim older than the hard task time limit belongs to a worker that is gone.
    return dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)


def _claim(delivery_id: int, channel: str, now: dt.datetime) -> bool:
    """pending -> sending for a due row; True for exactly one caller."""
    return bool(
        NotificationDelivery.objects.filter(
            pk=delivery_id, channel=channel, status=Status.PENDING, digest=False
        )
        .filter(Q(scheduled_for__isnull=True) | Q(scheduled_for__lte=now))
        .update(status=Status.SENDING, claimed_at=now, attempts=F("attempts") + 1, updated_at=now)
    )


def _finish(delivery_ids: list[int], status: str, *, error: str = "", **extra: Any) -> None:
    now = timezone.now()
    NotificationDelivery.objects.filter(pk__in=delivery_ids, status=Status.SENDING).update(
        status=status, error=error[:2000], updated_at=now, **extra
    )


def _retry_later(delivery: NotificationDelivery, error: str) -> dt.timedelta | None:
    """Back to pending with a backoff, or failed when attempts are used up.

    Returns the countdown to retry after, or None when the delivery gave up.
    """
    if delivery.attempts >= settings.NOTIFICATIONS_EMAIL_MAX_ATTEMPTS:
        _finish([delivery.pk], Status.FAILED, error=f"gave up after {delivery.attempts}: {error}")
        return None
    wait = _backoff(delivery.attempts)
    _finish([delivery.pk], Status.PENDING, error=error, scheduled_for=timezone.now() + wait)
    return wait


# --- email ---------------------------------------------------------------------------------


def _is_transient_smtp(exc: Exception) -> bool:
    """Timeouts, refused/dropped connections and 4xx replies are worth retrying."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(400 <= code < 500 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    return isinstance(
        exc, smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError | OSError | socket.timeout
    )


def _notification_url(notification: Notification | None = None) -> str:
    base = settings.FRONTEND_URL.rstrip("/")
    return f"{base}/notifications" + (f"?id={notification.pk}" if notification else "")


def _message_id(kind: str, key: int) -> str:
    # Stable per delivery: a receiving system can drop a duplicate (defence in depth).
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip("> ") or "intelipro.local"
    return f"<{kind}-{key}@{domain}>"


def _build_email(notification: Notification, delivery_id: int) -> EmailMultiAlternatives:
    user = notification.user
    context = {
        "user": user,
        "notification": notification,
        "url": _notification_url(notification),
        "preferences_url": f"{settings.FRONTEND_URL.rstrip('/')}/settings/notifications",
    }
    subject = f"[Intelipro] {notification.title}".replace("\n", " ")[:200]
    mail = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("notifications/email/notification.txt", context),
        to=[user.email],
        headers={
            "Message-ID": _message_id("notification", delivery_id),
            "X-Intelipro-Notification": str(notification.pk),
            "Auto-Submitted": "auto-generated",
        },
    )
    mail.attach_alternative(
        render_to_string("notifications/email/notification.html", context), "text/html"
    )
    return mail


def notification_email_send(*, delivery_id: int) -> dt.timedelta | None:
    """Send one notification email. Idempotent: only a pending, due row is sent, once.

    Returns a countdown when a transient SMTP failure put the row back to pending (the task
    retries after it); None otherwise. Permanent failures are recorded on the row.
    """
    now = timezone.now()
    if not _claim(delivery_id, Channel.EMAIL, now):
        return None
    delivery = NotificationDelivery.objects.select_related("notification__user").get(pk=delivery_id)
    user = delivery.notification.user
    if not user.is_active or not user.email:
        _finish([delivery.pk], Status.SKIPPED, error="user inactive or without email")
        return None
    mail = _build_email(delivery.notification, delivery.pk)
    try:
        mail.send(fail_silently=False)
    except Exception as exc:
        if _is_transient_smtp(exc):
            logger.warning("notification email %s failed, will retry: %r", delivery.pk, exc)
            return _retry_later(delivery, repr(exc))
        logger.exception("notification email %s failed permanently", delivery.pk)
        _finish([delivery.pk], Status.FAILED, error=repr(exc))
        return None
    _finish([delivery.pk], Status.SENT, sent_at=timezone.now())
    return None


def _digest_due(pref: NotificationPreference, now: dt.datetime, oldest: dt.datetime) -> bool:
    if quiet_hours_end(pref, now) is not None:
        return False
    if pref.email_digest == NotificationPreference.Digest.HOURLY:
        return True
    # Daily: at the configured local hour, or catch up when a run was missed.
    return local_hour(
        pref, now
    ) == settings.NOTIFICATIONS_DIGEST_DAILY_HOUR or now - oldest > dt.timedelta(hours=25)


def notification_digests_send(*, now: dt.datetime | None = None) -> int:
    """Send the digest mail of every user whose digest is due. Returns mails sent."""
    now = now or timezone.now()
    pending = (
        NotificationDelivery.objects.filter(
            status=Status.PENDING, channel=Channel.EMAIL, digest=True
        )
        .values_list("notification__user_id", "created_at")
        .order_by()
    )
    oldest: dict[int, dt.datetime] = {}
    for user_id, created_at in pending.iterator(chunk_size=2000):
        if user_id not in oldest or created_at < oldest[user_id]:
            oldest[user_id] = created_at
    prefs = NotificationPreference.objects.in_bulk(list(oldest), field_name="user_id")
    sent = 0
    for user_id, first in oldest.items():
        pref = prefs.get(user_id)
        if pref is None or pref.email_digest == NotificationPreference.Digest.OFF:
            # Digest turned off after these were queued: send them one by one instead.
            NotificationDelivery.objects.filter(
                status=Status.PENDING, channel=Channel.EMAIL, digest=True,
                notification__user_id=user_id,
            ).update(digest=False, scheduled_for=None, updated_at=now)  # fmt: skip
            continue
        if _digest_due(pref, now, first):
            sent += notification_digest_send(user_id=user_id, now=now)
    return sent


def notification_digest_send(*, user_id: int, now: dt.datetime | None = None) -> int:
    """Send one digest mail with the user's pending digest notifications. Returns 0 or 1.

    The rows are claimed under SKIP LOCKED first, so two runs at once mail each row once.
    """
    now = now or timezone.now()
    with transaction.atomic():
        qs = NotificationDelivery.objects.filter(
            status=Status.PENDING, channel=Channel.EMAIL, digest=True,
            notification__user_id=user_id,
        )  # fmt: skip
        if settings.USING_POSTGRES:
            qs = qs.select_for_update(skip_locked=True, of=("self",))
        ids = list(qs.order_by("created_at", "id").values_list("id", flat=True)[:DIGEST_MAX_ITEMS])
        claimed = NotificationDelivery.objects.filter(pk__in=ids, status=Status.PENDING).update(
            status=Status.SENDING, claimed_at=now, attempts=F("attempts") + 1, updated_at=now
        )
    if not claimed:
        return 0
    rows = list(
        NotificationDelivery.objects.filter(pk__in=ids, status=Status.SENDING, claimed_at=now)
        .select_related("notification__user")
        .order_by("notification__created_at", "notification_id")
    )
    ids = [row.pk for row in rows]
    if not rows:
        return 0
    user = rows[0].notification.user
    if not user.is_active or not user.email:
        _finish(ids, Status.SKIPPED, error="user inactive or without email")
        return 0
    notifications = [row.notification for row in rows]
    context = {
        "user": user,
        "notifications": notifications,
        "count": len(notifications),
        "url": _notification_url(),
        "preferences_url": f"{settings.FRONTEND_URL.rstrip('/')}/settings/notifications",
    }
    mail = EmailMultiAlternatives(
        subject=f"[Intelipro] {len(notifications)} new notification"
        + ("s" if len(notifications) != 1 else ""),
        body=render_to_string("notifications/email/digest.txt", context),
        to=[user.email],
        headers={"Message-ID": _message_id("digest", ids[0]), "Auto-Submitted": "auto-generated"},
    )
    mail.attach_alternative(
        render_to_string("notifications/email/digest.html", context), "text/html"
    )
    try:
        mail.send(fail_silently=False)
    except Exception as exc:
        # Back to pending: the next digest run retries (hourly backoff by construction).
        logger.warning("digest for user %s failed: %r", user_id, exc)
        failed = Status.PENDING if _is_transient_smtp(exc) else Status.FAILED
        _finish(ids, failed, error=repr(exc))
        return 0
    _finish(ids, Status.SENT, sent_at=timezone.now())
    return 1


# --- web push ------------------------------------------------------------------------------


def _push_payload(notification: Notification) -> str:
    message = notification.message
    if len(message) > PUSH_MESSAGE_CHARS:
        message = message[: PUSH_MESSAGE_CHARS - 1] + "…"
    return json.dumps(
        {
            "type": "notification.created",
            "data": {
                "id": notification.pk,
                "type": notification.type,
                "title": notification.title,
                "message": message,
                "priority": notification.priority,
                "url": _notification_url(notification),
                "created_at": notification.created_at.isoformat(),
            },
        },
        separators=(",", ":"),
    )


def notification_push_send(*, delivery_id: int) -> dt.timedelta | None:
    """Send one web push. 404/410 from the push service deletes the subscription.

    Idempotent like notification_email_send; returns a retry countdown for transient errors
    (network, 429, 5xx).
    """
    from pywebpush import WebPushException, webpush

    now = timezone.now()
    if not _claim(delivery_id, Channel.PUSH, now):
        return None
    delivery = NotificationDelivery.objects.select_related(
        "notification__user", "subscription"
    ).get(pk=delivery_id)
    sub = delivery.subscription
    user = delivery.notification.user
    if sub is None or not user.is_active or not settings.USE_WEB_PUSH:
        _finish([delivery.pk], Status.SKIPPED, error="subscription gone or push disabled")
        return None
    try:
        push_endpoint_check(sub.endpoint)
    except PushEndpointRefusedError as exc:
        _finish([delivery.pk], Status.FAILED, error=f"endpoint refused: {exc}")
        return None
    except OSError as exc:  # the lookup failed: as a network error
        return _retry_later(delivery, repr(exc))
    try:
        with push_session() as session:
            webpush(
                requests_session=session,
                subscription_info={
                    "endpoint": sub.endpoint,
                    "keys": {"p256dh": sub.p256dh, "auth": sub.auth},
                },
                data=_push_payload(delivery.notification),
                vapid_private_key=settings.VAPID_PRIVATE_KEY,
                # pywebpush fills aud/exp into this dict: a fresh one per call.
                vapid_claims={"sub": f"mailto:{settings.VAPID_CLAIMS_EMAIL}"},
                ttl=settings.WEB_PUSH_TTL,
                timeout=settings.WEB_PUSH_TIMEOUT,
                headers={"Urgency": _urgency(delivery.notification.priority)},
            )
    except WebPushException as exc:
        status = exc.response.status_code if exc.response is not None else None
        if status in (404, 410):
            # The browser unsubscribed or the subscription expired: forget it (RFC 8030 §7.3).
            PushSubscription.objects.filter(pk=sub.pk).delete()
            _finish([delivery.pk], Status.SKIPPED, error=f"subscription gone ({status})")
            return None
        if status is None or status == 429 or status >= 500:
            return _retry_later(delivery, f"push service {status}: {exc.message}"[:500])
        _finish([delivery.pk], Status.FAILED, error=f"push service {status}: {exc.message}")
        return None
    except (requests.RequestException, OSError) as exc:
        return _retry_later(delivery, repr(exc))
    _finish([delivery.pk], Status.SENT, sent_at=timezone.now())
    PushSubscription.objects.filter(pk=sub.pk).update(last_success_at=timezone.now())
    return None


def _urgency(priority: str) -> str:
    """RFC 8030 §5.3 Urgency header from our priority."""
    return {"low": "low", "medium": "normal", "high": "high", "urgent": "high"}.get(
        priority, "normal"
    )


# --- dispatcher and housekeeping -------------------------------------------------------------


def notification_deliveries_dispatch(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Enqueue deliveries that are due (quiet hours over, retry time reached, lost enqueues);
    fail claims whose worker died. Returns counts; `more` > 0 asks the caller to run again."""
    from notifications.tasks import notification_email_send_task, notification_push_send_task

    now = now or timezone.now()
    stale = NotificationDelivery.objects.filter(
        status=Status.SENDING, claimed_at__lt=now - _claim_lease()
    ).update(
        # The send may or may not have happened; never risk a second copy.
        status=Status.FAILED,
        error="outcome unknown: the worker was lost while sending",
        updated_at=now,
    )
    due = list(
        NotificationDelivery.objects.filter(status=Status.PENDING, digest=False)
        .filter(
            Q(scheduled_for__lte=now)
            | Q(scheduled_for__isnull=True, created_at__lte=now - LOST_ENQUEUE_AFTER)
        )
        .order_by("id")
        .values_list("id", "channel")[: DISPATCH_BATCH + 1]
    )
    more = len(due) > DISPATCH_BATCH
    for delivery_id, channel in due[:DISPATCH_BATCH]:
        task = (
            notification_email_send_task
            if channel == Channel.EMAIL
            else notification_push_send_task
        )
        task.delay(delivery_id=delivery_id)
    return {"enqueued": min(len(due), DISPATCH_BATCH), "stale_failed": stale, "more": int(more)}


def notification_housekeeping(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Purge expired notifications and read ones past retention. Deletes at most one batch
    per kind; returns counts and `more` when the caller should run again."""
    now = now or timezone.now()
    read_cutoff = now - dt.timedelta(days=settings.NOTIFICATIONS_RETENTION_DAYS)
    conditions = Q(expires_at__lt=now) | Q(read_status=True, read_at__lt=read_cutoff)
    if settings.NOTIFICATIONS_UNREAD_RETENTION_DAYS > 0:
        unread_cutoff = now - dt.timedelta(days=settings.NOTIFICATIONS_UNREAD_RETENTION_DAYS)
        conditions |= Q(read_status=False, created_at__lt=unread_cutoff)
    ids = list(
        Notification.objects.filter(conditions)
        .order_by("id")
        .values_list("id", flat=True)[: PURGE_BATCH + 1]
    )
    more = len(ids) > PURGE_BATCH
    ids = ids[:PURGE_BATCH]
    deleted = 0
    if ids:
        with transaction.atomic():
            NotificationDelivery.objects.filter(notification_id__in=ids).delete()
            deleted, _ = Notification.objects.filter(pk__in=ids).delete()
    return {"deleted": deleted, "more": int(more)}


__all__ = [
    "notification_deliveries_dispatch",
    "notification_digest_send",
    "notification_digests_send",
    "notification_email_send",
    "notification_housekeeping",
    "notification_push_send",
]
