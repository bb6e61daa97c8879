"""Routes that accept the spec's paths with and without a trailing slash."""

from collections.abc import Callable
from typing import Any

from django.urls import URLPattern, re_path
from rest_framework.routers import SimpleRouter


class OptionalSlashRouter(SimpleRouter):
    """`/cases` and `/cases/` both route (GET and POST alike); no redirects."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.trailing_slash = "/?"


def path(route: str, view: Callable, name: str | None = None, **kwargs: Any) -> URLPattern:
    """Like django.urls.path for plain segments, matching with or without a trailing slash.

    `route` is a regex body without anchors or trailing slash, e.g. r"auth/login" or
    r"users/(?P<pk>[0-9]+)/activate".
    """
    return re_path(rf"^{route.strip('/')}/?$", view, kwargs or None, name=name)
