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


def _without_query(value: object) -> object:
    if isinstance(value, str) and value.startswith("/") and "?" in value:
        return value.split("?", 1)[0]
    return value


class StripQueryStringFilter(logging.Filter):
    """Drops the query string from the paths in the web server's access and websocket lines
    (uvicorn logs `path?query`): a websocket `?token=` or `?ticket=`, or anything else a
    client put in a URL, never reaches the logs. nginx does the same (deploy/nginx.conf)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(_without_query(arg) for arg in record.args)
        return True
