"""Fixtures of the notifications tests: real peers on loopback (SMTP, push service)."""

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.accounts.factories import seed_roles


@dataclass
class PushServiceStub:
    """A local HTTP server speaking the Web Push protocol's receiving side (RFC 8030)."""

    url: str
    requests: list[dict] = field(default_factory=list)
    status: int = 201
    location: str = ""  # sent as Location (with a 3xx status)

    def endpoint(self, name: str = "sub") -> str:
        return f"{self.url}/push/{name}"


@pytest.fixture
def push_service() -> Iterator[PushServiceStub]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    stub = PushServiceStub(url=f"http://127.0.0.1:{server.server_address[1]}")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            stub.requests.append(
                {
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": self.rfile.read(length),
                }
            )
            self.send_response(stub.status)
            if stub.location:
                self.send_header("Location", stub.location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server.RequestHandlerClass = Handler
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield stub
    server.shutdown()
    server.server_close()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class SmtpSink:
    host: str
    port: int
    messages: list = field(default_factory=list)


@pytest.fixture
def smtp_server() -> Iterator[SmtpSink]:
    """A real SMTP server (aiosmtpd) on loopback that keeps every message it accepts."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    sink = SmtpSink(host="127.0.0.1", port=free_port())

    class Keep(Message):
        def handle_message(self, message) -> None:
            sink.messages.append(message)

    controller = Controller(Keep(), hostname="127.0.0.1", port=sink.port)
    controller.start()
    yield sink
    controller.stop()


@pytest.fixture
def smtp_settings(settings, smtp_server: SmtpSink) -> SmtpSink:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = smtp_server.host
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    return smtp_server


@pytest.fixture
def vapid_keys(settings) -> dict[str, str]:
    """A real VAPID key pair (py_vapid), switched on in settings."""
    import base64

    from cryptography.hazmat.primitives import serialization
    from py_vapid import Vapid01

    vapid = Vapid01()
    vapid.generate_keys()
    raw_private = vapid.private_key.private_numbers().private_value.to_bytes(32, "big")
    raw_public = vapid.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    keys = {
        "private": base64.urlsafe_b64encode(raw_private).decode().rstrip("="),
        "public": base64.urlsafe_b64encode(raw_public).decode().rstrip("="),
    }
    settings.VAPID_PRIVATE_KEY = keys["private"]
    settings.VAPID_PUBLIC_KEY = keys["public"]
    settings.VAPID_CLAIMS_EMAIL = "ops@example.com"
    settings.USE_WEB_PUSH = True
    # The stand-in push service is plain http on loopback: admitted as a self-hosted relay.
    settings.WEB_PUSH_ALLOW_HTTP_ENDPOINTS = True
    settings.WEB_PUSH_ALLOWED_HOSTS = [*settings.WEB_PUSH_ALLOWED_HOSTS, "127.0.0.1"]
    settings.WEB_PUSH_TRUSTED_NETWORKS = ["127.0.0.1/32"]
    return keys


@pytest.fixture
def browser_keys() -> dict:
    """A browser-side subscription key pair (p256dh/auth) so payloads can be decrypted."""
    import base64
    import os

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    private = ec.generate_private_key(ec.SECP256R1())
    public = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    auth = os.urandom(16)
    return {
        "private": private,
        "auth_secret": auth,
        "p256dh": base64.urlsafe_b64encode(public).decode().rstrip("="),
        "auth": base64.urlsafe_b64encode(auth).decode().rstrip("="),
    }


def decrypt_push(body: bytes, keys: dict) -> dict:
    """Decrypt an aes128gcm Web Push body as the browser would (RFC 8291)."""
    import http_ece

    plain = http_ece.decrypt(
        body, private_key=keys["private"], auth_secret=keys["auth_secret"], version="aes128gcm"
    )
    return json.loads(plain)


@pytest.fixture
def seeded_roles(transactional_db) -> None:
    """Transactional tests flush every table between tests, including the roles seeded by
    accounts' data migration: seed them again with that migration's own function."""
    seed_roles()


@pytest.fixture
def agent_user_async(seeded_roles):
    """An agent for async tests (transactional DB; created outside the event loop)."""
    from tests.accounts.factories import UserFactory

    return UserFactory(role="agent")
