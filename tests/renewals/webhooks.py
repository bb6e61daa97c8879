"""Signing of payment-gateway webhook requests, as the gateway does it (README: payment
webhook signatures): X-Signature = hex HMAC-SHA256(secret, "<timestamp>.<raw body>")."""

import hashlib
import hmac
import json
import time
from typing import Any

WEBHOOK_URL = "/api/v1/webhooks/payments"


def webhook_signature(secret: str, body: bytes, timestamp: int | str) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_post(
    client: Any,
    secret: str,
    payload: Any,
    *,
    timestamp: int | None = None,
    signature: str | None = None,
    **headers: str,
) -> Any:
    """POST `payload` to the webhook signed now (or at `timestamp`), like the gateway."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    stamp = int(time.time()) if timestamp is None else timestamp
    return client.generic(
        "POST",
        WEBHOOK_URL,
        body,
        content_type="application/json",
        HTTP_X_SIGNATURE=webhook_signature(secret, body, stamp) if signature is None else signature,
        HTTP_X_SIGNATURE_TIMESTAMP=str(stamp),
        **headers,
    )
