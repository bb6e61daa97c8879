"""Routes of communications under /api/v1/ (namespace api:communications)."""

from communications.api.views import (
    CustomerPreferencesView,
    SmsSendView,
    TwilioStatusWebhookView,
)
from intelipro.api.routers import path

app_name = "communications"

urlpatterns = [
    path(
        r"customers/(?P<pk>[0-9]+)/preferences",
        CustomerPreferencesView.as_view(),
        name="customer-preferences",
    ),
    path(r"sms/send", SmsSendView.as_view(), name="sms-send"),
    path(r"webhooks/twilio/status", TwilioStatusWebhookView.as_view(), name="twilio-status"),
]
