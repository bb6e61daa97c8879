"""Celery tasks of the notifications app: thin wrappers over notifications.services.delivery.

Every task is idempotent (deliveries are claimed by compare-and-set) and time-limited.
"""

from celery import shared_task


@shared_task(bind=True, max_retries=8, soft_time_limit=60, time_limit=90, acks_late=True)
def notification_email_send_task(self, *, delivery_id: int) -> None:
    from notifications.services.delivery import notification_email_send

    countdown = notification_email_send(delivery_id=delivery_id)
    if countdown is not None:
        # Transient SMTP failure: the row is back to pending with scheduled_for = now+countdown.
        self.retry(countdown=countdown.total_seconds(), throw=False)


@shared_task(bind=True, max_retries=8, soft_time_limit=60, time_limit=90, acks_late=True)
def notification_push_send_task(self, *, delivery_id: int) -> None:
    from notifications.services.delivery import notification_push_send

    countdown = notification_push_send(delivery_id=delivery_id)
    if countdown is not None:
        self.retry(countdown=countdown.total_seconds(), throw=False)


@shared_task(soft_time_limit=240, time_limit=300)
def notification_digests_send_task() -> None:
    from notifications.services.delivery import notification_digests_send

    notification_digests_send()


@shared_task(soft_time_limit=50, time_limit=60)
def notification_deliveries_dispatch_task() -> None:
    from notifications.services.delivery import notification_deliveries_dispatch

    result = notification_deliveries_dispatch()
    if result["more"]:
        notification_deliveries_dispatch_task.delay()


@shared_task(soft_time_limit=240, time_limit=300)
def notification_housekeeping_task() -> None:
    from notifications.services.delivery import notification_housekeeping

    result = notification_housekeeping()
    if result["more"]:
        notification_housekeeping_task.delay()


@shared_task(soft_time_limit=30, time_limit=60)
def notification_create_task(
    *, user_id: int, type: str, title: str, message: str, data: dict | None = None,
    priority: str = "medium",
) -> None:  # fmt: skip
    """Create a notification from a worker (admin "send test notification", e2e checks)."""
    from notifications.services import notification_create

    notification_create(
        user=user_id, type=type, title=title, message=message, data=data, priority=priority
    )
