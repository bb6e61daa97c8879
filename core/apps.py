from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    """Cross-cutting operations: audit log, health, process management, beat schedules."""

    name = "core"
    verbose_name = "Operations"

    def ready(self) -> None:
        from core.services import beat_schedule_sync_after_migrate

        # The beat schedule is code; mirror it into django-celery-beat after each migrate
        # (every deploy runs migrate) so the admin shows exactly what runs.
        post_migrate.connect(beat_schedule_sync_after_migrate, sender=self)
