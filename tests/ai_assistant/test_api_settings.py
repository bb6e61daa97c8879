"""GET/PUT /ai/settings: who may read and write, validation, env defaults, audit."""

import pytest
from django.urls import reverse

from ai_assistant.models import AISettings
from core.models import AuditEvent

pytestmark = pytest.mark.django_db

URL = reverse("api:ai:settings")


def test_settings_default_to_the_environment(manager_client, settings):
    settings.AI_PROVIDER = "local"
    settings.AI_MODEL = ""

    response = manager_client.get(URL)

    assert response.status_code == 200
    data = response.json()["data"]
    assert data["enabled"] is True
    assert data["provider"] == "local"
    assert data["temperature"] == 0.7
    assert data["max_tokens"] == 1000
    assert data["features"]["renewalInsights"] is True
    assert data["features"]["classify"] is True
    assert data["fallback_enabled"] is True
    assert data["api_key_set"] is False
    assert "api_key" not in data
    assert not AISettings.objects.exists()


def test_env_provider_is_the_initial_value(admin_client, settings):
    settings.AI_PROVIDER = "openai"
    settings.AI_MODEL = "gpt-4"

    data = admin_client.get(URL).json()["data"]

    assert (data["provider"], data["model"]) == ("openai", "gpt-4")


def test_agent_may_not_read_settings(agent_client):
    assert agent_client.get(URL).status_code == 403


def test_manager_may_not_change_settings(manager_client):
    response = manager_client.put(URL, {"temperature": 0.5}, format="json")

    assert response.status_code == 403


def test_admin_changes_settings_and_it_is_audited(admin_client, admin_user):
    response = admin_client.put(
        URL,
        {
            "temperature": 0.8,
            "max_tokens": 1500,
            "features": {"predictiveAnalytics": True},
            "rate_limit_per_minute": 10,
        },
        format="json",
    )

    assert response.status_code == 200
    data = response.json()["data"]
    assert data["temperature"] == 0.8
    assert data["max_tokens"] == 1500
    assert data["features"]["predictiveAnalytics"] is True
    assert data["features"]["customerRetention"] is True
    row = AISettings.objects.get()
    assert row.rate_limit_per_minute == 10
    event = AuditEvent.objects.get(action="ai_settings.updated")
    assert event.actor == admin_user
    assert event.changes["max_tokens"] == [1000, 1500]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"temperature": 2.5}, "temperature"),
        ({"temperature": -0.1}, "temperature"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"max_tokens": 100000}, "max_tokens"),
        ({"provider": "anthropic"}, "provider"),
        ({"features": {"telepathy": True}}, "features"),
        ({"provider": "openai_compatible"}, "base_url"),
        ({"provider": "azure_openai", "azure_endpoint": "http://127.0.0.1:1"}, "azure_deployment"),
        ({"fallback_chain": [{"provider": "nope"}]}, "fallback_chain"),
    ],
)
def test_invalid_settings_are_refused(admin_client, payload, field):
    response = admin_client.put(URL, payload, format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["details"]
    assert not AISettings.objects.exists()


def test_repeated_put_changes_nothing_the_second_time(admin_client):
    admin_client.put(URL, {"max_tokens": 1200}, format="json")

    admin_client.put(URL, {"max_tokens": 1200}, format="json")

    assert AuditEvent.objects.filter(action="ai_settings.updated").count() == 1


def test_roles_list_the_ai_module(admin_client):
    response = admin_client.get(reverse("api:accounts:role-list"))

    permissions = {role["name"]: role["permissions"] for role in response.json()["data"]}
    assert "ai" in permissions["admin"]
    assert "ai" in permissions["manager"]
    assert "ai" in permissions["agent"]
    assert "ai" not in permissions["viewer"]
