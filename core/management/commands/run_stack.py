"""Serve the whole product: ASGI (API, admin, websockets) plus Celery worker and beat."""

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from intelipro.uvicorn_options import UVICORN_OPTIONS


class Command(BaseCommand):
    help = (
        "Run the product as `make run` does. Embedded mode (no REDIS_URL): one process, the "
        "Celery worker and beat run inside the ASGI server. With REDIS_URL: uvicorn plus a "
        "`celery worker --beat` process. Ctrl-C stops every process this command started."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-worker", action="store_true", help="Serve HTTP/websockets only.")

    def handle(self, *args: Any, **options: Any) -> None:
        host, port = options["host"], options["port"]
        embedded = settings.EMBEDDED
        mode = "embedded (SQLite/no Redis)" if embedded else "PostgreSQL/Redis"
        self.stdout.write(self.style.SUCCESS(f"Intelipro on http://{host}:{port}/ - {mode}"))
        self.stdout.write(
            f"  API docs: http://{host}:{port}/api/v1/docs/  admin: /admin/  health: /health"
        )
        env = dict(os.environ)
        env.setdefault(
            "DJANGO_SETTINGS_MODULE",
            os.environ.get("DJANGO_SETTINGS_MODULE", "intelipro.settings.local"),
        )
        env["EMBEDDED_WORKER"] = "1" if (embedded and not options["no_worker"]) else "0"
        commands = [
            [sys.executable, "-m", "uvicorn", "intelipro.asgi:application",
             "--host", host, "--port", str(port), "--lifespan", "on", "--no-access-log",
             *UVICORN_OPTIONS],
        ]  # fmt: skip
        if not embedded and not options["no_worker"]:
            commands.append(
                [sys.executable, "-m", "celery", "-A", "intelipro", "worker", "--beat",
                 "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler",
                 "--loglevel", "INFO", "--concurrency", "2"]
            )  # fmt: skip
        processes = [subprocess.Popen(cmd, env=env) for cmd in commands]

        def stop(*_: Any) -> None:
            for proc in processes:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 15
            for proc in processes:
                try:
                    proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
                except subprocess.TimeoutExpired:
                    proc.kill()

        # Ctrl-C and SIGTERM both stop everything; SIGINT is re-armed explicitly because a
        # shell that starts us in the background hands us SIGINT ignored.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        try:
            while all(proc.poll() is None for proc in processes):
                time.sleep(0.5)
        except KeyboardInterrupt:
            self.stdout.write("Stopping...")
        finally:
            stop()
        codes = [proc.returncode for proc in processes]
        self.stdout.write(f"Stopped (exit codes {codes}).")
