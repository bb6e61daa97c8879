"""Messages for the email tests, built as raw RFC 5322 bytes."""

import uuid
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from django.utils import timezone

from emails.models import EmailAccount


def message(
    *,
    subject: str = "Policy renewal inquiry",
    sender: str = "customer@example.org",
    to: str = "support@example.com",
    body: str = "Hello, when is my renewal due?",
    html: str | None = None,
    message_id: str | None = "",
    headers: dict[str, str] | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(timezone.now())
    if message_id is not None:
        msg["Message-ID"] = message_id or make_msgid(
            idstring=uuid.uuid4().hex[:8], domain="example.org"
        )
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    return msg.as_bytes(policy=policy.SMTP)  # CRLF, as a server stores it


def account_for(mailbox, **overrides) -> EmailAccount:
    data = mailbox.account_payload(**overrides)
    password = data.pop("password")
    return EmailAccount.objects.create(**data, password_encrypted=password)
