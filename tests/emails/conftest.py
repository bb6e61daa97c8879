"""Real peers for the email tests: Dovecot (IMAP) and aiosmtpd (SMTP with AUTH) on loopback,
each started once per session; every test gets its own mailbox on both."""

import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from testing.clamd import free_port
from testing.dovecot import Dovecot, dovecot_start


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    server = dovecot_start(Path(tempfile.mkdtemp(prefix="intelipro-dovecot-")))
    yield server
    server.stop()


@dataclass
class SmtpServer:
    host: str
    port: int
    users: dict[str, str] = field(default_factory=dict)
    messages: list = field(default_factory=list)  # (envelope sender, recipients, raw bytes)


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpServer]:
    """aiosmtpd requiring AUTH (PLAIN/LOGIN over plain text, as a local relay would)."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    server = SmtpServer(host="127.0.0.1", port=free_port())

    def authenticator(_server, _session, _envelope, _mechanism, auth_data) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            user = auth_data.login.decode()
            ok = server.users.get(user) == auth_data.password.decode()
            # handled=False: aiosmtpd answers 235/535 itself.
            return AuthResult(success=ok, handled=False)
        return AuthResult(success=False, handled=False)

    class Keep:
        async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
            self,
            _server,
            _session,
            envelope,
        ) -> str:
            server.messages.append(
                (envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
            )
            return "250 OK"

    with warnings.catch_warnings():  # AUTH without TLS: on loopback, on purpose
        warnings.simplefilter("ignore", UserWarning)
        controller = Controller(
            Keep(),
            hostname="127.0.0.1",
            port=server.port,
            authenticator=authenticator,
            auth_required=True,
            auth_require_tls=False,
        )
        controller.start()
    yield server
    controller.stop()


@dataclass
class Mailbox:
    """One test's mailbox: the same login on Dovecot and on the SMTP server."""

    email: str
    password: str
    imap_port: int
    smtp_port: int

    def account_payload(self, **overrides) -> dict:
        return {
            "name": "Support",
            "email": self.email,
            "provider": "imap",
            "imap_server": "127.0.0.1",
            "imap_port": self.imap_port,
            "smtp_server": "127.0.0.1",
            "smtp_port": self.smtp_port,
            "username": self.email,
            "password": self.password,
            "use_ssl": False,
            **overrides,
        }


@pytest.fixture
def mailbox(dovecot: Dovecot, smtp_server: SmtpServer) -> Mailbox:
    email, password = dovecot.new_user()
    smtp_server.users[email] = password
    return Mailbox(
        email=email, password=password, imap_port=dovecot.port, smtp_port=smtp_server.port
    )


@pytest.fixture(autouse=True)
def emails_media(settings, tmp_path: Path) -> Path:
    """Raw messages are stored under each test's own media directory."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def imap(mailbox: Mailbox, dovecot: Dovecot):
    """A logged-in IMAP session on the test's mailbox, for seeding messages."""
    from imapclient import IMAPClient

    client = IMAPClient("127.0.0.1", port=dovecot.port, ssl=False)
    client.login(mailbox.email, mailbox.password)
    yield client
    client.logout()
