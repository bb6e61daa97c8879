from emails.api.views import EmailAccountViewSet, EmailViewSet
from intelipro.api.routers import OptionalSlashRouter

app_name = "emails"

router = OptionalSlashRouter()
router.register(r"email-accounts", EmailAccountViewSet, basename="email-account")
router.register(r"emails", EmailViewSet, basename="email")

urlpatterns = [*router.urls]
