"""The operations console: settings (write-only key, test call), knowledge (re-index), usage
log with totals."""

import pytest

from ai_assistant.models import AISettings, AIUsage, KnowledgeChunk, KnowledgeDocument
from core.models import AuditEvent

pytestmark = pytest.mark.django_db

KEY = "sk-admin-DO-NOT-LEAK-9876"


SETTINGS_FORM = {
    "enabled": "on",
    "provider": "local",
    "model": "",
    "temperature": "0.5",
    "max_tokens": "800",
    "response_timeout": "20",
    "rate_limit_per_minute": "30",
    "rate_limit_per_hour": "500",
    "features": "{}",
    "knowledge_base": '{"top_k": 4}',
    "fallback_enabled": "on",
    "fallback_message": "Try later.",
    "base_url": "",
    "azure_endpoint": "",
    "azure_deployment": "",
    "api_version": "",
    "fallback_chain": "[]",
}


def test_settings_are_saved_through_the_service_with_a_write_only_key(admin_web):
    response = admin_web.post(
        "/admin/ai_assistant/aisettings/add/", {**SETTINGS_FORM, "api_key": KEY}
    )

    assert response.status_code == 302
    row = AISettings.objects.get()
    assert row.max_tokens == 800
    assert row.api_key_encrypted == KEY
    assert AuditEvent.objects.filter(action="ai_settings.updated").exists()
    page = admin_web.get(f"/admin/ai_assistant/aisettings/{row.pk}/change/").content.decode()
    listing = admin_web.get("/admin/ai_assistant/aisettings/").content.decode()
    assert "DO-NOT-LEAK" not in page
    assert "DO-NOT-LEAK" not in listing
    assert "9876" in listing  # last 4 only


def test_settings_form_refuses_openai_compatible_without_base_url(admin_web):
    response = admin_web.post(
        "/admin/ai_assistant/aisettings/add/", {**SETTINGS_FORM, "provider": "openai_compatible"}
    )

    assert response.status_code == 200
    assert not AISettings.objects.exists()


def test_test_call_action_reports_the_result(admin_web):
    admin_web.post("/admin/ai_assistant/aisettings/add/", SETTINGS_FORM)
    row = AISettings.objects.get()

    response = admin_web.post(
        "/admin/ai_assistant/aisettings/",
        {"action": "test_call", "_selected_action": [row.pk]},
        follow=True,
    )

    assert "Local (local-bm25) answered" in response.content.decode()
    assert AIUsage.objects.get().feature == "settings_test"


def test_reindex_action_rebuilds_chunks(admin_web, knowledge):
    document = KnowledgeDocument.objects.get(slug="payment-failures")
    before = set(KnowledgeChunk.objects.filter(document=document).values_list("id", flat=True))

    response = admin_web.post(
        "/admin/ai_assistant/knowledgedocument/",
        {"action": "reindex", "_selected_action": [document.pk]},
        follow=True,
    )

    assert "1 document(s) re-indexed." in response.content.decode()
    after = set(KnowledgeChunk.objects.filter(document=document).values_list("id", flat=True))
    assert after
    assert not before & after
    assert AuditEvent.objects.filter(action="ai_knowledge.reindexed").exists()


def test_knowledge_changelist_and_change_page_load(admin_web, knowledge):
    document = KnowledgeDocument.objects.first()

    assert admin_web.get("/admin/ai_assistant/knowledgedocument/").status_code == 200
    assert (
        admin_web.get(f"/admin/ai_assistant/knowledgedocument/{document.pk}/change/").status_code
        == 200
    )


def test_usage_log_shows_totals_per_user_feature_and_month(admin_web, manager_user):
    for tokens in (100, 250):
        AIUsage.objects.create(
            user=manager_user,
            feature="query",
            provider="openai",
            model="gpt-4o-mini",
            tokens_in=tokens,
            tokens_out=50,
            outcome="success",
        )
    AIUsage.objects.create(feature="classify", provider="local", outcome="success")

    response = admin_web.get("/admin/ai_assistant/aiusage/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "3 calls, 450 tokens" in html
    assert manager_user.email in html
    assert response.context["usage_by_feature"][1]["tokens"] == 450
