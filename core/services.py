"""Cross-cutting writes: the audit log and the beat schedule mirror."""

import json
import logging
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models, transaction

from core.models import AuditEvent
from intelipro.logging import get_request_meta

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

SYSTEM_ACTOR = "System"
# Marks beat rows that mirror CELERY_BEAT_SCHEDULE; rows made by hand are left alone. Rows are
# named by their schedule key, as django-celery-beat's DatabaseScheduler names them itself at
# start-up, so the two never create twin rows that would run a task twice.
BEAT_CODE_DESCRIPTION = "Defined in code (CELERY_BEAT_SCHEDULE); edit there, not here."


def audit_log(
    *,
    action: str,
    actor: "User | None" = None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | int | None = None,
    changes: dict[str, Any] | list[Any] | None = None,  # a list: [before, after] of one value
    ip_address: str | None = None,
    user_agent: str | None = None,
    actor_label: str | None = None,
) -> AuditEvent:
    """Append one audit event in the caller's transaction.

    IP, user agent and request id default to the current request's (set by
    RequestIDMiddleware); outside a request (tasks, commands) they stay empty.
    """
    meta = get_request_meta()
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = obj.pk if object_id is None else object_id
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEvent.objects.create(
        actor=actor if is_user else None,
        actor_label=actor_label or (str(getattr(actor, "email", "")) if is_user else SYSTEM_ACTOR),
        action=action,
        object_type=object_type,
        object_id="" if object_id is None else str(object_id),
        changes=json.loads(json.dumps(changes or {}, default=str)),
        ip_address=ip_address if ip_address is not None else meta.ip_address,
        user_agent=(user_agent if user_agent is not None else meta.user_agent)[:1000],
        request_id=meta.request_id,
    )


def beat_schedule_sync() -> dict[str, int]:
    """Mirror settings.CELERY_BEAT_SCHEDULE into django-celery-beat's PeriodicTask rows.

    Creates or updates one row per code entry (named by its key) and disables code rows
    whose entry was removed. Safe to run any number of times.
    """
    from celery.schedules import crontab, schedule
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

    seen: set[str] = set()
    counts = {"created": 0, "updated": 0, "disabled": 0}
    with transaction.atomic():
        for key, entry in settings.CELERY_BEAT_SCHEDULE.items():
            name = key
            seen.add(name)
            sched = entry["schedule"]
            defaults: dict[str, Any] = {
                "task": entry["task"],
                "kwargs": json.dumps(entry.get("kwargs", {})),
                "enabled": True,
                "description": BEAT_CODE_DESCRIPTION,
                "interval": None,
                "crontab": None,
            }
            if isinstance(sched, crontab):
                defaults["crontab"], _ = CrontabSchedule.objects.get_or_create(
                    minute=sched._orig_minute,
                    hour=sched._orig_hour,
                    day_of_week=sched._orig_day_of_week,
                    day_of_month=sched._orig_day_of_month,
                    month_of_year=sched._orig_month_of_year,
                    timezone=settings.CELERY_TIMEZONE,
                )
            else:
                seconds = (
                    sched.run_every.total_seconds() if isinstance(sched, schedule) else float(sched)
                )
                defaults["interval"], _ = IntervalSchedule.objects.get_or_create(
                    every=max(int(seconds), 1), period=IntervalSchedule.SECONDS
                )
            _obj, created = PeriodicTask.objects.update_or_create(name=name, defaults=defaults)
            counts["created" if created else "updated"] += 1
        counts["disabled"] = (
            PeriodicTask.objects.filter(description=BEAT_CODE_DESCRIPTION, enabled=True)
            .exclude(name__in=seen)
            .update(enabled=False)
        )
    return counts


def beat_schedule_sync_after_migrate(**kwargs: Any) -> None:
    try:
        beat_schedule_sync()
    except Exception:  # tables of django_celery_beat may not exist yet in a partial migrate
        logger.warning("beat schedule sync skipped", exc_info=True)
