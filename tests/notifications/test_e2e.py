"""End to end over a real ASGI server (uvicorn subprocess) and a real websocket client.

1. Embedded mode (`make run` without Redis): SQLite, filesystem broker, the Celery worker
   inside the ASGI process. A task enqueued by ANOTHER process is run by that embedded
   worker, and its notification reaches the websocket through intelipro.realtime.
2. With REDIS_URL: the Redis channel layer; the notification is created in another process.
"""

import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import websockets

from tests.notifications.conftest import free_port

pytestmark = [pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
SECRET = "e2e-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
EMAIL = "e2e-agent@example.com"

# Deliveries stay quiet: email to the console backend, no push keys.
_SETUP = f"""
from accounts.models import User
from accounts.tokens import access_token_for
user = User.objects.filter(email="{EMAIL}").first() or User.objects.create_user(
    "{EMAIL}", "E2e-Password-123456", first_name="E2E", role="agent")
print("TOKEN=" + str(access_token_for(user)))
"""


def _env(tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="intelipro.settings.local",
        DATABASE_URL=f"sqlite:///{tmp / 'db.sqlite3'}",
        CELERY_BROKER_DIR=str(tmp / "broker"),
        DJANGO_SECRET_KEY=SECRET,
        JWT_SECRET=SECRET,
        EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
        VAPID_PUBLIC_KEY="",
        VAPID_PRIVATE_KEY="",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.fixture(scope="module")
def migrated_db(tmp_path_factory) -> Path:
    """One migrated SQLite file; each test copies it."""
    tmp = tmp_path_factory.mktemp("e2e-template")
    _manage(_env(tmp), "migrate", "--noinput", "-v", "0")
    return tmp / "db.sqlite3"


@pytest.fixture
def stack_dir(tmp_path: Path, migrated_db: Path) -> Path:
    shutil.copy(migrated_db, tmp_path / "db.sqlite3")
    return tmp_path


class Server:
    def __init__(self, env: dict[str, str], log: Path, *, access_log: bool = False) -> None:
        self.port = free_port()
        self.log = log
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "intelipro.asgi:application",
             "--host", "127.0.0.1", "--port", str(self.port), "--lifespan", "on",
             "--access-log" if access_log else "--no-access-log"],
            cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
        )  # fmt: skip

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()[-3000:]
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{self.port}/api/v1/health", timeout=2
                ):
                    return
            except OSError:
                time.sleep(0.3)
            except Exception:  # any HTTP answer means the server is up
                return
        raise AssertionError("server did not start:\n" + self.log.read_text()[-3000:])

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def start_server(stack_dir: Path) -> Iterator:
    servers: list[Server] = []

    def start(env: dict[str, str], *, access_log: bool = False) -> Server:
        server = Server(env, stack_dir / "server.log", access_log=access_log)
        servers.append(server)
        server.wait_ready()
        return server

    yield start
    for server in servers:
        server.stop()


async def _receive_until(ws, kind: str, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"no {kind} frame within {timeout}s"
        frame = json.loads(await asyncio.wait_for(ws.recv(), remaining))
        if frame["type"] == kind:
            return frame


async def _listen_and_trigger(port: int, token: str, trigger) -> dict:
    uri = f"ws://127.0.0.1:{port}/ws/notifications/"
    async with websockets.connect(
        uri, subprotocols=["bearer", token], origin=f"http://127.0.0.1:{port}"
    ) as ws:
        assert ws.subprotocol == "bearer"
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "unread_count"
        await ws.send(json.dumps({"type": "ping"}))
        assert (await _receive_until(ws, "pong", 10))["type"] == "pong"
        await asyncio.to_thread(trigger)
        # Generous bound: the filesystem broker is polled once a second.
        return await _receive_until(ws, "notification.created", 20)


def test_embedded_worker_task_reaches_the_websocket(stack_dir, start_server):
    env = _env(stack_dir, EMBEDDED_WORKER="1")
    token = _manage(env, "shell", "-c", _SETUP).split("TOKEN=")[1].strip()
    server = start_server(env)

    def enqueue_from_another_process() -> None:
        out = _manage(env, "notifications_send_test", "--email", EMAIL, "--enqueue",
                      "--title", "From the embedded worker")  # fmt: skip
        assert "Queued" in out

    frame = asyncio.run(_listen_and_trigger(server.port, token, enqueue_from_another_process))

    assert frame["data"]["title"] == "From the embedded worker"
    assert frame["data"]["type"] == "system"


def test_unauthenticated_socket_is_closed_4401_by_the_real_server(stack_dir, start_server):
    server = start_server(_env(stack_dir, EMBEDDED_WORKER="0"))

    async def attempt() -> int | None:
        async with websockets.connect(
            f"ws://127.0.0.1:{server.port}/ws/notifications/?token=bad",
            origin=f"http://127.0.0.1:{server.port}",
        ) as ws:
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 10)
            return ws.close_code

    assert asyncio.run(attempt()) == 4401


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (runs in CI)")
def test_redis_layer_carries_events_between_processes(stack_dir, start_server):
    env = _env(
        stack_dir,
        EMBEDDED_WORKER="0",
        REDIS_URL=os.environ["REDIS_URL"],
        CHANNEL_LAYER_PREFIX=f"intelipro-e2e-{os.getpid()}",
        CELERY_TASK_ALWAYS_EAGER="1",
    )
    token = _manage(env, "shell", "-c", _SETUP).split("TOKEN=")[1].strip()
    server = start_server(env)

    def create_in_another_process() -> None:
        out = _manage(env, "notifications_send_test", "--email", EMAIL, "--title", "Over Redis")
        assert "Sent test notification" in out

    frame = asyncio.run(_listen_and_trigger(server.port, token, create_in_another_process))

    assert frame["data"]["title"] == "Over Redis"


def test_server_log_lines_carry_no_query_string(stack_dir, start_server):
    server = start_server(_env(stack_dir, EMBEDDED_WORKER="0"), access_log=True)
    secret = "never-in-logs-0123456789"

    with urllib.request.urlopen(
        f"http://127.0.0.1:{server.port}/health?token={secret}", timeout=10
    ) as response:
        assert response.status == 200

    async def open_socket() -> None:
        async with websockets.connect(
            f"ws://127.0.0.1:{server.port}/ws/notifications/?token={secret}",
            origin=f"http://127.0.0.1:{server.port}",
        ) as ws:
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 10)

    asyncio.run(open_socket())
    server.stop()

    log = server.log.read_text()
    assert '"GET /health HTTP/1.1" 200' in log  # the access line is written...
    assert "/ws/notifications/" in log  # ...and so is the websocket handshake line
    assert secret not in log
