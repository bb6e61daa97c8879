import pytest

from tests.renewals.factories import CustomerFactory


@pytest.fixture
def twilio_configured(settings):
    settings.TWILIO_ACCOUNT_SID = "AC00000000000000000000000000000000"
    settings.TWILIO_AUTH_TOKEN = "test-auth-token"
    settings.TWILIO_FROM_NUMBER = "+15005550006"
    settings.TWILIO_MESSAGING_SERVICE_SID = ""


@pytest.fixture
def sms_customer(db):
    """A customer who consented to SMS and email, with a valid number, no quiet hours."""
    return CustomerFactory(
        phone="+919812345678",
        communication_preferences={
            "consent": {"sms": True, "email": True, "whatsapp": False},
            "timezone": "Asia/Kolkata",
        },
    )
