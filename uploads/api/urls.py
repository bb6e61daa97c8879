"""Routes of the upload API (the spec's paths; trailing slash optional)."""

from intelipro.api.routers import path
from uploads.api import views

app_name = "uploads"

urlpatterns = [
    path(r"upload/batch", views.UploadBatchCreateView.as_view(), name="batch-create"),
    path(r"upload/batches", views.UploadBatchListView.as_view(), name="batch-list"),
    path(
        r"upload/batch/(?P<pk>[0-9]+)/status",
        views.UploadBatchStatusView.as_view(),
        name="batch-status",
    ),
    path(
        r"upload/batch/(?P<pk>[0-9]+)/errors\.csv",
        views.UploadBatchErrorsCsvView.as_view(),
        name="batch-errors-csv",
    ),
    path(
        r"upload/batch/(?P<pk>[0-9]+)/approve",
        views.UploadBatchApproveView.as_view(),
        name="batch-approve",
    ),
    path(
        r"upload/batch/(?P<pk>[0-9]+)/reject",
        views.UploadBatchRejectView.as_view(),
        name="batch-reject",
    ),
    path(
        r"upload/batch/(?P<pk>[0-9]+)/retry",
        views.UploadBatchRetryView.as_view(),
        name="batch-retry",
    ),
    path(r"upload/template", views.UploadTemplateView.as_view(), name="template"),
]
