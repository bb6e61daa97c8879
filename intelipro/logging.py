"""Request-scoped context: every log line and audit event carries its request's id and origin."""

import contextvars
import logging
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestMeta:
    request_id: str = ""
    ip_address: str | None = None
    user_agent: str = ""


request_meta_var: contextvars.ContextVar[RequestMeta] = contextvars.ContextVar(
    "request_meta",
    default=RequestMeta(),  # noqa: B039 - frozen dataclass, immutable
)


def get_request_meta() -> RequestMeta:
    return request_meta_var.get()


def get_request_id() -> str:
    return request_meta_var.get().request_id or "-"


class RequestIDFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = get_request_id()
        return True
