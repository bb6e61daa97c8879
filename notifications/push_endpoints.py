"""Which web-push endpoints the worker may POST to (SSRF guard).

A browser's PushSubscription names the URL our worker POSTs to, so an endpoint is a URL chosen
by the client. Without a check, a user could register `https://169.254.169.254/...` (the cloud
metadata service) or an internal address and have the worker send requests there. Rules:

- https only (`WEB_PUSH_ALLOW_HTTP_ENDPOINTS` admits http for a self-hosted relay);
- the host is a known push service or one of its subdomains (`WEB_PUSH_ALLOWED_HOSTS`: FCM,
  Mozilla autopush, Apple, Windows WNS);
- every address the host resolves to is public: private, loopback, link-local, reserved,
  multicast and unspecified addresses are refused (`WEB_PUSH_TRUSTED_NETWORKS` lists the
  networks of a self-hosted push relay, empty by default);
- redirects are never followed (`push_session`).

Checked at registration and again before every send, because DNS answers change.
"""

import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class PushEndpointRefusedError(Exception):
    """The endpoint breaks one of the rules above (the message says which)."""


def _host_allowed(host: str) -> bool:
    return any(
        host == allowed or host.endswith("." + allowed)
        for allowed in (h.lower().strip(".") for h in settings.WEB_PUSH_ALLOWED_HOSTS)
    )


def _address_refused(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address in ipaddress.ip_network(n) for n in settings.WEB_PUSH_TRUSTED_NETWORKS):
        return False
    return (
        not address.is_global
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
    )


def push_endpoint_check(endpoint: str, *, resolve: bool = True) -> None:
    """Raise PushEndpointRefusedError unless the worker may POST to `endpoint`.

    With `resolve`, the host is looked up and each of its addresses checked; a failed lookup
    raises `socket.gaierror` (an OSError), which callers treat as transient.
    """
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError as exc:
        raise PushEndpointRefusedError("The endpoint is not a valid URL.") from exc
    allowed_schemes = {"https", "http"} if settings.WEB_PUSH_ALLOW_HTTP_ENDPOINTS else {"https"}
    if parts.scheme not in allowed_schemes:
        raise PushEndpointRefusedError("Push endpoints must use https.")
    if parts.username is not None or parts.password is not None:
        raise PushEndpointRefusedError("Push endpoints carry no credentials.")
    host = (parts.hostname or "").rstrip(".")
    if not host or not _host_allowed(host):
        raise PushEndpointRefusedError("The endpoint is not on a known push service.")
    if not resolve:
        return
    default_port = 443 if parts.scheme == "https" else 80
    infos = socket.getaddrinfo(host, port or default_port, type=socket.SOCK_STREAM)
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if _address_refused(address):
            raise PushEndpointRefusedError(
                "The endpoint's host resolves to a private or reserved address."
            )


class _NoRedirectSession(requests.Session):
    """A push service answers 201; a redirect is never followed (it could point anywhere)."""

    def request(
        self, method: str, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        kwargs["allow_redirects"] = False
        return super().request(method, url, *args, **kwargs)


def push_session() -> requests.Session:
    """The requests session pywebpush sends with (`webpush(requests_session=...)`)."""
    return _NoRedirectSession()
