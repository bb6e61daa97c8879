"""intelipro/urls.py mounts every app's API by name, so the routing reads in one file."""

import importlib
import importlib.util

from django.conf import settings
from django.urls import get_resolver


def _apps_with_api_urls() -> dict[str, str]:
    """{app: app_name of its api/urls.py} for every project app that has one."""
    found = {}
    for app in settings.PROJECT_APPS:
        if importlib.util.find_spec(f"{app}.api") and importlib.util.find_spec(f"{app}.api.urls"):
            found[app] = importlib.import_module(f"{app}.api.urls").app_name
    return found


def test_every_app_api_is_mounted_explicitly_in_intelipro_urls():
    _prefix, api_resolver = get_resolver().namespace_dict["api"]

    missing = {
        app: f're_path(r"^", include("{app}.api.urls"))'
        for app, namespace in _apps_with_api_urls().items()
        if namespace not in api_resolver.namespace_dict
    }

    assert not missing, f"add to api_v1_patterns in intelipro/urls.py: {missing}"
