"""The web server's websocket settings, in one place for every way the product is served:
`manage.py run_stack`, gunicorn's worker class (intelipro/workers.py) and the benchmarks.

Per-message deflate is off: notification frames are small JSON (100-400 bytes), where
compression saves little, and on a 1,000-socket server it cost ~37 MB of zlib state and a
compress/decompress per frame on both ends (bench/notifications_ws.py, bench/RESULTS.md).


Client addresses: uvicorn trusts X-Forwarded-For only from settings.FORWARDED_ALLOW_IPS (nginx),
the same list the app's client_ip() uses, so the server and the app agree on who the client
is (gunicorn's own --forwarded-allow-ips is overridden by the worker class with this value).
"""

import os
from typing import Any

# An entry point like asgi.py: gunicorn's worker class and the benchmarks import this before
# anything configured Django. The proxy list comes from settings.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "intelipro.settings.local")

from django.conf import settings

# uvicorn.Config keyword arguments, and the same as `python -m uvicorn` options.
UVICORN_CONFIG: dict[str, Any] = {
    "ws_per_message_deflate": False,
    "proxy_headers": True,
    "forwarded_allow_ips": ",".join(settings.FORWARDED_ALLOW_IPS),
}


# Options that are on/off switches on uvicorn's command line (--x / --no-x), not `--x value`.
_SWITCHES = {"proxy_headers"}


def _option(key: str, value: Any) -> list[str]:
    name = key.replace("_", "-")
    if key in _SWITCHES:
        return [f"--{name}" if value else f"--no-{name}"]
    return [f"--{name}", str(value).lower() if isinstance(value, bool) else str(value)]


UVICORN_OPTIONS: list[str] = [
    part for key, value in UVICORN_CONFIG.items() for part in _option(key, value)
]
