"""Create the demo admin (printing its credentials) and load demo data once."""

from typing import Any

from django.conf import settings
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand

from accounts.models import User


class Command(BaseCommand):
    help = (
        "Idempotent first-run set-up used by `make run`: creates the demo admin "
        "(DEMO_ADMIN_EMAIL / DEMO_ADMIN_PASSWORD) if missing, prints the credentials, and "
        "loads demo data with `seed_demo` when the renewals app provides it (once)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--no-seed", action="store_true", help="Skip demo data.")

    def handle(self, *args: Any, **options: Any) -> None:
        email = settings.DEMO_ADMIN_EMAIL
        password = settings.DEMO_ADMIN_PASSWORD
        if User.objects.filter(email__iexact=email).exists():
            self.stdout.write(f"Demo admin exists: {email}")
        else:
            User.objects.create_superuser(
                email=email, password=password, first_name="Demo", last_name="Admin"
            )
            self.stdout.write(self.style.SUCCESS(f"Created demo admin {email}"))
        self.stdout.write(
            self.style.WARNING(
                f"\n  Sign in at http://127.0.0.1:8000/admin/ or POST /api/v1/auth/login\n"
                f"  email:    {email}\n  password: {password}\n"
            )
        )
        if not options["no_seed"] and "seed_demo" in get_commands():
            # seed_demo is idempotent: it loads nothing when demo data already exists.
            call_command("seed_demo", "--if-empty", stdout=self.stdout)
