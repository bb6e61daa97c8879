"""The benchmark's URL conf: the product's routes plus the benchmark-only floors.

Loaded only through bench/settings.py (ROOT_URLCONF); the product's intelipro/urls.py
knows nothing of it. The floors come first so that /api/v1/bench/... is matched before the
product's enveloped 404 for unknown /api/ paths."""

from bench.views import bench_api_view, bench_cases_values_view, bench_plain_view
from intelipro.api.routers import path
from intelipro.urls import urlpatterns as product_urlpatterns

urlpatterns = [
    path(r"bench/plain", bench_plain_view, name="bench-plain"),
    path(r"api/v1/bench/envelope", bench_api_view, name="bench-envelope"),
    path(r"api/v1/bench/cases-values", bench_cases_values_view, name="bench-cases"),
    *product_urlpatterns,
]
