"""Run inside a fresh interpreter with its own DATABASE_URL/REDIS_URL (see test_health.py).

argv: [optional redis-server pid to stop mid-way]. Prints one JSON line per probe.
"""

import json
import os
import signal
import sys
import time

import django

os.environ["DJANGO_SETTINGS_MODULE"] = "intelipro.settings.test"
django.setup()

from django.test import Client  # noqa: E402

client = Client()


def probe(label: str) -> None:
    health = client.get("/health")
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    print(  # noqa: T201 - the parent test reads this line
        json.dumps(
            {
                "label": label,
                "health_status": health.status_code,
                "health": health.json(),
                "api_status": schema.status_code,
            }
        ),
        flush=True,
    )


probe("before")
if len(sys.argv) > 1:
    os.kill(int(sys.argv[1]), signal.SIGTERM)
    time.sleep(0.5)
    probe("after")
