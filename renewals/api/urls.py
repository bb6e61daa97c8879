"""Routes of renewals under /api/v1/ (namespace api:renewals): cases, customers, policies,
branches, the payment webhook and the dashboard."""

from intelipro.api.routers import OptionalSlashRouter, path
from renewals.api import views

app_name = "renewals"

router = OptionalSlashRouter()
router.register(r"cases", views.CaseViewSet, basename="case")
router.register(r"customers", views.CustomerViewSet, basename="customer")
router.register(r"policies", views.PolicyViewSet, basename="policy")

urlpatterns = [
    path(r"branches", views.BranchListView.as_view(), name="branch-list"),
    path(r"webhooks/payments", views.PaymentWebhookView.as_view(), name="payment-webhook"),
    path(r"dashboard/stats", views.DashboardStatsView.as_view(), name="dashboard-stats"),
    path(r"dashboard/trends", views.DashboardTrendsView.as_view(), name="dashboard-trends"),
    path(
        r"dashboard/batch-status",
        views.DashboardBatchStatusView.as_view(),
        name="dashboard-batch-status",
    ),
    *router.urls,
]
