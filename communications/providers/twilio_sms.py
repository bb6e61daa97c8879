"""SMS through Twilio's REST API with the official `twilio` SDK.

The SDK builds URLs on https://api.twilio.com; `TWILIO_API_BASE_URL` (default Twilio's) moves
them elsewhere, e.g. a local server in tests or a regional proxy. That goes through the SDK's
documented extension point, a custom HTTP client (a `TwilioHttpClient` subclass), not through
SDK internals.
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

TWILIO_DEFAULT_BASE = "https://api.twilio.com"
TIMEOUT_SECONDS = 10.0  # a send is one small POST; the Celery task retries on timeouts


class SmsProviderUnavailableError(Exception):
    """A transient failure (timeout, 5xx, rate limit): retry later."""


@dataclass(frozen=True)
class SmsResult:
    ok: bool
    provider_message_id: str = ""
    status: str = ""
    error_code: str = ""
    segments: int | None = None
    cost: Decimal | None = None


class _BaseUrlHttpClient(TwilioHttpClient):
    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        if url.startswith(TWILIO_DEFAULT_BASE):
            url = self.base_url + url[len(TWILIO_DEFAULT_BASE) :]
        return super().request(method, url, *args, **kwargs)


def _client() -> Client:
    return Client(
        settings.TWILIO_ACCOUNT_SID,
        settings.TWILIO_AUTH_TOKEN,
        http_client=_BaseUrlHttpClient(settings.TWILIO_API_BASE_URL, timeout=TIMEOUT_SECONDS),
    )


def sms_send(*, to: str, body: str, status_callback: str = "") -> SmsResult:
    """Send one SMS; the messaging service SID wins over the from-number when both are set."""
    params: dict[str, Any] = {"to": to, "body": body}
    if settings.TWILIO_MESSAGING_SERVICE_SID:
        params["messaging_service_sid"] = settings.TWILIO_MESSAGING_SERVICE_SID
    else:
        params["from_"] = settings.TWILIO_FROM_NUMBER
    if status_callback:
        params["status_callback"] = status_callback
    try:
        message = _client().messages.create(**params)
    except TwilioRestException as exc:
        if exc.status == 429 or exc.status >= 500:
            raise SmsProviderUnavailableError(str(exc.code or exc.status)) from exc
        return SmsResult(ok=False, error_code=str(exc.code or exc.status))
    except OSError as exc:  # connection refused, timeouts (requests' errors are OSErrors)
        raise SmsProviderUnavailableError(type(exc).__name__) from exc
    cost = None
    if message.price is not None:
        try:
            cost = abs(Decimal(str(message.price)))
        except InvalidOperation:
            cost = None
    return SmsResult(
        ok=True,
        provider_message_id=message.sid or "",
        status=message.status or "",
        segments=int(message.num_segments) if message.num_segments else None,
        cost=cost,
    )
