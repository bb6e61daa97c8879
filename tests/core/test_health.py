"""GET /health in all its states, against real services started by the test."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("subprocess_health.py")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(env_overrides: dict[str, str], *args: str) -> list[dict]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(env_overrides)
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def test_health_reports_the_spec_fields(api_client):
    response = api_client.get("/health")

    data = response.json()["data"]
    assert response.status_code == 200
    assert set(data) == {"status", "timestamp", "version", "services"}
    assert set(data["services"]) == {"database", "redis", "celery"}
    assert data["timestamp"].endswith("Z")
    assert data["services"]["database"] == "connected"


def test_health_needs_no_authentication_and_leaks_no_secrets(api_client, settings):
    response = api_client.get("/health")

    assert response.status_code == 200
    assert settings.SECRET_KEY not in response.content.decode()


def test_health_without_redis_is_not_configured(tmp_path):
    (probe,) = _run({"DATABASE_URL": f"sqlite:///{tmp_path / 'h.sqlite3'}"})

    assert probe["health_status"] == 200
    assert probe["health"]["data"]["services"]["redis"] == "not_configured"


def test_health_is_503_when_the_database_is_down(tmp_path):
    port = _free_port()  # nothing listens there

    (probe,) = _run({"DATABASE_URL": f"postgres://postgres@127.0.0.1:{port}/nope"})

    assert probe["health_status"] == 503
    assert probe["health"]["data"]["services"]["database"] == "unavailable"
    assert probe["health"]["data"]["status"] == "DOWN"


@pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="redis-server binary not installed"
)
def test_stopping_redis_turns_health_unavailable_while_the_api_answers(tmp_path):
    port = _free_port()
    redis = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)

        before, after = _run(
            {
                "DATABASE_URL": f"sqlite:///{tmp_path / 'h.sqlite3'}",
                "REDIS_URL": f"redis://127.0.0.1:{port}/0",
            },
            str(redis.pid),
        )
    finally:
        redis.kill()
        redis.wait()

    assert before["health"]["data"]["services"]["redis"] == "connected"
    assert after["health"]["data"]["services"]["redis"] == "unavailable"
    assert after["health"]["data"]["status"] == "DEGRADED"
    assert after["health_status"] == 200
    assert after["api_status"] == 200


def test_root_health_has_the_spec_keys_at_the_top_level_too(api_client):
    body = api_client.get("/health").json()

    assert body["status"] == "OK"
    assert body["services"]["database"] == "connected"
    assert body["version"]
    assert body["timestamp"]
    assert body["success"] is True
    assert body["data"]["status"] == "OK"


def test_api_health_is_in_the_plain_envelope(api_client):
    body = api_client.get("/api/v1/health").json()

    assert set(body) == {"success", "data"}


# --- issue 13 hole 15: health is not a load vector ------------------------------------------


def test_health_is_throttled_per_client_ip_in_the_envelope(client, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "health": "2/m"}

    answers = [client.get("/health", REMOTE_ADDR="203.0.113.5") for _ in range(3)]
    other = client.get("/health", REMOTE_ADDR="198.51.100.7")

    assert [r.status_code for r in answers] == [200, 200, 429]
    assert answers[2].json() == {
        "success": False,
        "error": {
            "code": "throttled",
            "message": answers[2].json()["error"]["message"],
            "details": answers[2].json()["error"]["details"],
        },
    }
    assert answers[2].has_header("Retry-After")
    assert other.status_code == 200


def test_api_health_is_throttled_too(client, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "health": "1/m"}

    client.get("/api/v1/health")
    response = client.get("/api/v1/health")

    assert response.status_code == 429
    assert response.json()["error"]["code"] == "throttled"


def test_probe_results_are_cached_for_a_few_seconds(client, settings):
    settings.HEALTH_CACHE_SECONDS = 30

    first = client.get("/health").json()
    second = client.get("/health").json()

    assert second["timestamp"] == first["timestamp"]  # the same probe, not a new one


@pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="redis-server binary not installed"
)
def test_cached_probe_opens_no_new_redis_connection_per_call(tmp_path):
    port = _free_port()
    redis = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)

        before, after = _run(
            {
                "DATABASE_URL": f"sqlite:///{tmp_path / 'h.sqlite3'}",
                "REDIS_URL": f"redis://127.0.0.1:{port}/0",
                "HEALTH_CACHE_SECONDS": "60",
            },
            str(redis.pid),
        )
    finally:
        redis.kill()
        redis.wait()

    # Redis stopped between the calls, but the second answer is the cached probe.
    assert after["health"]["data"]["services"]["redis"] == "connected"
    assert after["health"]["timestamp"] == before["health"]["timestamp"]
