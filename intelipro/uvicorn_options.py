"""The web server's websocket settings, in one place for every way the product is served:
`manage.py run_stack`, gunicorn's worker class (intelipro/workers.py) and the benchmarks.

Per-message deflate is off: notification frames are small JSON (100-400 bytes), where
compression saves little, and on a 1,000-socket server it cost ~37 MB of zlib state and a
compress/decompress per frame on both ends (bench/notifications_ws.py, bench/RESULTS.md).
"""

from typing import Any

# uvicorn.Config keyword arguments, and the same as `python -m uvicorn` options.
UVICORN_CONFIG: dict[str, Any] = {"ws_per_message_deflate": False}
UVICORN_OPTIONS: list[str] = [
    part
    for key, value in UVICORN_CONFIG.items()
    for part in (f"--{key.replace('_', '-')}", str(value).lower())
]
