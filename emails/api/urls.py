from emails.api.views import EmailAccountViewSet
from intelipro.api.routers import OptionalSlashRouter

app_name = "emails"

router = OptionalSlashRouter()
router.register(r"email-accounts", EmailAccountViewSet, basename="email-account")

urlpatterns = [*router.urls]
