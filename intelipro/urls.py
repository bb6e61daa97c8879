"""Root URLconf: every route of the product, app by app, in one file.

- /api/v1/...  the REST API (namespace "api"; each app's routes under "api:<app>:<name>")
- /health      the monitoring probe (no auth)
- /admin/      the operations console
Each app keeps its routes in <app>/api/urls.py, written with their full paths as the spec
lays them out (/cases, /upload/batch, ...), so each app is mounted at the API root. A new
app adds its line below (tests/core/test_routing.py fails until it does).
"""

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from core.api.views import ApiNotFoundView, HealthAliasView, HealthRootView
from intelipro.api.routers import path

api_v1_patterns: list[URLPattern | URLResolver] = [
    path(r"schema", SpectacularAPIView.as_view(), name="schema"),
    path(r"docs", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path(r"redoc", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    path(r"health", HealthAliasView.as_view(), name="health"),
    # auth/* (login, refresh, logout, me, passwords, MFA, sessions), users, roles
    re_path(r"^", include("accounts.api.urls")),
    # cases, customers, policies, branches, dashboard/*, webhooks/payments
    re_path(r"^", include("renewals.api.urls")),
    # upload/* (batch intake, batches, errors, review, template)
    re_path(r"^", include("uploads.api.urls")),
    # files, files/public/<token>
    re_path(r"^", include("files.api.urls")),
    # notifications, notifications/preferences, push subscriptions
    re_path(r"^", include("notifications.api.urls")),
    # ai/query, ai/settings, ai/classify, ai/knowledge
    re_path(r"^", include("ai_assistant.api.urls")),
    # email-accounts
    re_path(r"^", include("emails.api.urls")),
    # customers/{id}/preferences
    re_path(r"^", include("communications.api.urls")),
]

urlpatterns = [
    re_path(r"^api/v1/", include((api_v1_patterns, "api"), namespace="api")),
    # Anything else under /api/ is an enveloped 404, never Django's HTML page.
    re_path(r"^api(?:/.*)?$", ApiNotFoundView.as_view(), name="api-not-found"),
    path(r"health", HealthRootView.as_view(), name="health"),
    # The admin site is accounts.admin_site.InteliproAdminSite (branding, MFA login).
    re_path(r"^admin/", admin.site.urls),
]
