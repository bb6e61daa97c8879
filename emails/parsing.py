"""Reading one raw RFC 5322 message with the stdlib `email` package (policy=default).

Never raises: whatever cannot be read (a broken header, an unknown charset, bad MIME) is
replaced by the best effort and named in `warnings`, so a malformed message is stored, not
dropped, and never crashes a sync.
"""

import datetime
import hashlib
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

import nh3
from django.utils import timezone

# Header values longer than the columns are cut (a hostile message must not fail the insert).
MAX_ADDRESS = 255
MAX_WARNING = 500


@dataclass
class ParsedMessage:
    message_id: str
    sha256: str
    from_email: str
    from_name: str
    to: list[str]
    cc: list[str]
    bcc: list[str]
    subject: str
    date: datetime.datetime | None
    in_reply_to: str
    references: str
    body_text: str
    body_html: str
    attachments: list[dict] = field(default_factory=list)
    is_auto_reply: bool = False
    is_bulk: bool = False
    warnings: list[str] = field(default_factory=list)

    @property
    def parse_warning(self) -> str:
        return "; ".join(self.warnings)[:MAX_WARNING]


def _header(msg: EmailMessage, name: str, warnings: list[str]) -> str:
    try:
        value = msg.get(name)
        return "" if value is None else str(value).strip()
    except Exception as exc:  # a header the policy cannot parse
        warnings.append(f"header {name}: {exc.__class__.__name__}")
        raw = msg.get_all(name, failobj=[None])[0] if hasattr(msg, "get_all") else None
        return str(raw or "").strip()


def _addresses(value: str) -> list[str]:
    return [addr[:MAX_ADDRESS].lower() for _name, addr in getaddresses([value]) if addr]


def _content(part: EmailMessage, warnings: list[str]) -> str:
    try:
        return part.get_content()
    except Exception as exc:  # unknown charset, broken transfer encoding
        warnings.append(f"body {part.get_content_type()}: {exc.__class__.__name__}")
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else ""


def sanitize_html(html: str) -> str:
    """Safe to render: no scripts, event handlers or javascript: links (ammonia's defaults)."""
    return nh3.clean(html) if html else ""


def parse_message(raw: bytes) -> ParsedMessage:
    sha256 = hashlib.sha256(raw).hexdigest()
    warnings: list[str] = []
    try:
        msg = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception as exc:  # pragma: no cover - the parser is lenient; belt and braces
        return ParsedMessage(
            message_id=f"sha256:{sha256}",
            sha256=sha256,
            from_email="unknown",
            from_name="",
            to=[],
            cc=[],
            bcc=[],
            subject="",
            date=None,
            in_reply_to="",
            references="",
            body_text=raw.decode("utf-8", errors="replace"),
            body_html="",
            warnings=[f"message: {exc.__class__.__name__}"],
        )
    for defect in getattr(msg, "defects", [])[:3]:
        warnings.append(f"mime: {defect.__class__.__name__}")

    message_id = _header(msg, "Message-ID", warnings)[:MAX_ADDRESS]
    if not message_id:
        message_id = f"sha256:{sha256}"
    from_name, from_email = parseaddr(_header(msg, "From", warnings))
    subject = _header(msg, "Subject", warnings)
    date = None
    date_value = _header(msg, "Date", warnings)
    if date_value:
        try:
            date = parsedate_to_datetime(date_value)
            if timezone.is_naive(date):
                date = timezone.make_aware(date, datetime.UTC)
        except (TypeError, ValueError, IndexError):
            warnings.append("header Date: unreadable")

    body_text = body_html = ""
    attachments: list[dict] = []
    try:
        plain = msg.get_body(preferencelist=("plain",))
        html = msg.get_body(preferencelist=("html",))
        body_text = _content(plain, warnings) if plain is not None else ""
        body_html = _content(html, warnings) if html is not None else ""
        for part in msg.iter_attachments():
            try:
                payload = part.get_payload(decode=True) or b""
            except Exception:
                payload = b""
            attachments.append(
                {
                    "filename": (part.get_filename() or "")[:255],
                    "content_type": part.get_content_type(),
                    "size": len(payload),
                    "inline": part.get_content_disposition() == "inline",
                    "content_id": str(part.get("Content-ID") or "")[:255],
                }
            )
    except Exception as exc:
        warnings.append(f"mime structure: {exc.__class__.__name__}")
        payload = msg.get_payload(decode=True)
        body_text = payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else ""

    auto_submitted = _header(msg, "Auto-Submitted", warnings).lower()
    precedence = _header(msg, "Precedence", warnings).lower()
    return ParsedMessage(
        message_id=message_id,
        sha256=sha256,
        from_email=(from_email or "unknown")[:MAX_ADDRESS].lower(),
        from_name=from_name[:MAX_ADDRESS],
        to=_addresses(_header(msg, "To", warnings)),
        cc=_addresses(_header(msg, "Cc", warnings)),
        bcc=_addresses(_header(msg, "Bcc", warnings)),
        subject=subject,
        date=date,
        in_reply_to=_header(msg, "In-Reply-To", warnings)[:MAX_ADDRESS],
        references=_header(msg, "References", warnings),
        body_text=body_text,
        body_html=sanitize_html(body_html),
        attachments=attachments,
        is_auto_reply=bool(
            (auto_submitted and auto_submitted != "no")
            or _header(msg, "X-Auto-Response-Suppress", warnings)
        ),
        is_bulk=precedence in ("bulk", "list", "junk") or bool(_header(msg, "List-Id", warnings)),
        warnings=warnings,
    )
