"""Connections to a mailbox's IMAP and SMTP servers, with one error vocabulary.

`use_ssl` is implicit TLS (IMAPS, SMTPS); without it the session starts in plain text and
upgrades with STARTTLS when the server offers it (local servers and tests speak plain text).
Errors come back as MailConnectionError with a stable code; messages never carry secrets.
"""

import contextlib
import smtplib
import ssl
from dataclasses import dataclass

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

# Seconds to wait for a server; a stalled provider must not hold a worker or a request.
CONNECT_TIMEOUT = 15


@dataclass(frozen=True)
class MailServer:
    """Where and how to log in; built from an EmailAccount by the services."""

    imap_server: str
    imap_port: int
    smtp_server: str
    smtp_port: int
    username: str
    password: str
    use_ssl: bool


class MailConnectionError(Exception):
    """A login or connection failure; `code` is one of the codes below (API contract)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


IMAP_AUTH_FAILED = "imap_auth_failed"
IMAP_UNREACHABLE = "imap_unreachable"
SMTP_AUTH_FAILED = "smtp_auth_failed"
SMTP_UNREACHABLE = "smtp_unreachable"


def imap_connect(server: MailServer) -> IMAPClient:
    """A logged-in IMAP session; the caller logs out (use it as a context manager)."""
    try:
        client = IMAPClient(
            server.imap_server,
            port=server.imap_port,
            ssl=server.use_ssl,
            ssl_context=ssl.create_default_context() if server.use_ssl else None,
            timeout=CONNECT_TIMEOUT,
        )
    except (OSError, IMAPClientError) as exc:
        raise MailConnectionError(
            IMAP_UNREACHABLE,
            f"Cannot reach the IMAP server {server.imap_server}:{server.imap_port} "
            f"({exc.__class__.__name__}).",
        ) from None
    try:
        if not server.use_ssl and b"STARTTLS" in client.capabilities():
            client.starttls(ssl.create_default_context())
        client.login(server.username, server.password)
    except LoginError:
        _quietly_close(client)
        raise MailConnectionError(
            IMAP_AUTH_FAILED, "The IMAP server refused the username or password."
        ) from None
    except (OSError, IMAPClientError, ssl.SSLError) as exc:
        _quietly_close(client)
        raise MailConnectionError(
            IMAP_UNREACHABLE,
            f"The IMAP session with {server.imap_server} failed ({exc.__class__.__name__}).",
        ) from None
    return client


def _quietly_close(client: IMAPClient) -> None:
    with contextlib.suppress(Exception):  # closing a broken session; nothing more to do
        client.shutdown()


def smtp_connect(server: MailServer) -> smtplib.SMTP:
    """A logged-in SMTP session; the caller quits (use it as a context manager)."""
    try:
        if server.use_ssl:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                server.smtp_server,
                server.smtp_port,
                timeout=CONNECT_TIMEOUT,
                context=ssl.create_default_context(),
            )
        else:
            smtp = smtplib.SMTP(server.smtp_server, server.smtp_port, timeout=CONNECT_TIMEOUT)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailConnectionError(
            SMTP_UNREACHABLE,
            f"Cannot reach the SMTP server {server.smtp_server}:{server.smtp_port} "
            f"({exc.__class__.__name__}).",
        ) from None
    try:
        smtp.ehlo()
        if not server.use_ssl and smtp.has_extn("starttls"):
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        smtp.login(server.username, server.password)
    except smtplib.SMTPAuthenticationError:
        _smtp_close(smtp)
        raise MailConnectionError(
            SMTP_AUTH_FAILED, "The SMTP server refused the username or password."
        ) from None
    except smtplib.SMTPNotSupportedError:
        _smtp_close(smtp)
        raise MailConnectionError(
            SMTP_AUTH_FAILED, "The SMTP server does not offer authentication."
        ) from None
    except (TimeoutError, OSError, smtplib.SMTPException) as exc:
        _smtp_close(smtp)
        raise MailConnectionError(
            SMTP_UNREACHABLE,
            f"The SMTP session with {server.smtp_server} failed ({exc.__class__.__name__}).",
        ) from None
    return smtp


def _smtp_close(smtp: smtplib.SMTP) -> None:
    with contextlib.suppress(Exception):  # closing a broken session; nothing more to do
        smtp.close()
