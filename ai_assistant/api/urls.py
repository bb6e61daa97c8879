from ai_assistant.api.views import (
    AIClassifyView,
    AIQueryView,
    AISettingsView,
    KnowledgeDocumentViewSet,
)
from intelipro.api.routers import OptionalSlashRouter, path

app_name = "ai"

router = OptionalSlashRouter()
router.register(r"ai/knowledge", KnowledgeDocumentViewSet, basename="knowledge")

urlpatterns = [
    path(r"ai/query", AIQueryView.as_view(), name="query"),
    path(r"ai/settings", AISettingsView.as_view(), name="settings"),
    path(r"ai/classify", AIClassifyView.as_view(), name="classify"),
    *router.urls,
]
