"""Send a test notification to a user, directly or through the Celery worker."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User


class Command(BaseCommand):
    help = (
        "Send a `system` test notification to the user with --email. With --enqueue the "
        "notification is created by the Celery worker (checks broker -> worker -> channel "
        "layer -> websocket end to end); without it, by this process (checks the channel "
        "layer from another process)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--title", default="Test notification")
        parser.add_argument("--message", default="This is a test notification.")
        parser.add_argument("--enqueue", action="store_true", help="Create it in a worker task.")

    def handle(self, *args: Any, **options: Any) -> None:
        from notifications.services import notification_create
        from notifications.tasks import notification_create_task

        user = User.objects.filter(email__iexact=options["email"]).first()
        if user is None:
            raise CommandError(f"No user with email {options['email']!r}.")
        fields = {
            "type": "system",
            "title": options["title"],
            "message": options["message"],
            "data": {"test": True},
        }
        if options["enqueue"]:
            notification_create_task.delay(user_id=user.pk, **fields)
            self.stdout.write(f"Queued a test notification for {user.email}.")
            return
        notification = notification_create(user=user, **fields)
        self.stdout.write(f"Sent test notification #{notification.pk} to {user.email}.")
