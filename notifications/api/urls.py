"""/api/v1/notifications/... and /api/v1/ws/ticket (mounted by intelipro/urls.py in namespace api:notifications)."""

from intelipro.api.routers import OptionalSlashRouter, path
from notifications.api.views import (
    NotificationPreferencesView,
    NotificationViewSet,
    PushSubscriptionView,
    WebsocketTicketView,
)

app_name = "notifications"

router = OptionalSlashRouter()
router.register(r"notifications", NotificationViewSet, basename="notification")

urlpatterns = [
    # Named paths first; the viewset's {id} only matches digits anyway.
    path(r"notifications/preferences", NotificationPreferencesView.as_view(), name="preferences"),
    path(
        r"notifications/push-subscriptions",
        PushSubscriptionView.as_view(),
        name="push-subscriptions",
    ),
    path(r"ws/ticket", WebsocketTicketView.as_view(), name="ws-ticket"),
    *router.urls,
]
