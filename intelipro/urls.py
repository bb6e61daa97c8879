"""Root URLconf: /api/v1/ (each app's api/urls.py, namespace "api"), /admin/, /health."""

import importlib
import importlib.util

from django.conf import settings
from django.contrib import admin
from django.urls import include, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from core.api.views import ApiNotFoundView, HealthAliasView, HealthRootView
from intelipro.api.routers import path

admin.site.site_header = settings.ADMIN_SITE_HEADER
admin.site.site_title = settings.ADMIN_SITE_HEADER
admin.site.index_title = "Operations console"


def _app_api_patterns() -> list:
    patterns = []
    for app in settings.PROJECT_APPS:
        if importlib.util.find_spec(f"{app}.api") and importlib.util.find_spec(f"{app}.api.urls"):
            patterns.append(re_path(r"^", include(f"{app}.api.urls")))
    return patterns


api_v1_patterns = [
    path(r"schema", SpectacularAPIView.as_view(), name="schema"),
    path(r"docs", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path(r"redoc", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    path(r"health", HealthAliasView.as_view(), name="health"),
    *_app_api_patterns(),
]

urlpatterns = [
    re_path(r"^api/v1/", include((api_v1_patterns, "api"), namespace="api")),
    # Anything else under /api/ is an enveloped 404, never Django's HTML page.
    re_path(r"^api(?:/.*)?$", ApiNotFoundView.as_view(), name="api-not-found"),
    path(r"health", HealthRootView.as_view(), name="health"),
    re_path(r"^admin/", admin.site.urls),
]
