"""Rate limits (the spec's 100/hour per user and the settings' per-minute/per-hour limits),
the monthly token budget per team, and usage rows for refused calls."""

import pytest
from django.urls import reverse

from ai_assistant.models import AIUsage
from tests.accounts.factories import BranchFactory, UserFactory
from tests.ai_assistant.fake_openai import FakeOpenAIServer

pytestmark = pytest.mark.django_db

QUERY_URL = reverse("api:ai:query")
SETTINGS_URL = reverse("api:ai:settings")


def ask(client):
    return client.post(QUERY_URL, {"query": "renewal rates"}, format="json")


def test_settings_per_minute_limit_answers_429_with_retry_after(admin_client, manager_client):
    admin_client.put(SETTINGS_URL, {"rate_limit_per_minute": 2}, format="json")

    responses = [ask(manager_client) for _ in range(3)]

    assert [r.status_code for r in responses] == [200, 200, 429]
    refused = responses[-1]
    assert refused.json()["error"]["code"] == "throttled"
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert AIUsage.objects.filter(outcome="rate_limited").count() == 1


def test_settings_per_hour_limit_applies(admin_client, manager_client):
    admin_client.put(SETTINGS_URL, {"rate_limit_per_hour": 1}, format="json")

    responses = [ask(manager_client) for _ in range(2)]

    assert [r.status_code for r in responses] == [200, 429]


def test_spec_ai_query_limit_per_user_per_hour(manager_client, agent_client, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "ai_queries": "2/h"}

    mine = [ask(manager_client) for _ in range(3)]
    other = ask(agent_client)

    assert [r.status_code for r in mine] == [200, 200, 429]
    assert other.status_code == 200  # per user


def test_monthly_token_budget_per_team_answers_429_budget_exhausted(
    admin_client, client_for, settings, monkeypatch
):
    settings.AI_MONTHLY_TOKEN_BUDGET = 1000
    north, south = BranchFactory(code="N1"), BranchFactory(code="S1")
    north_manager = UserFactory(role="manager", branch=north)
    south_manager = UserFactory(role="manager", branch=south)
    AIUsage.objects.create(
        user=north_manager,
        branch=north,
        feature="query",
        provider="openai",
        model="gpt-4o-mini",
        tokens_in=900,
        tokens_out=100,
        outcome="success",
    )
    with FakeOpenAIServer() as fake:
        monkeypatch.setenv("OPENAI_BASE_URL", f"{fake.url}/v1")
        admin_client.put(SETTINGS_URL, {"provider": "openai", "api_key": "sk-x"}, format="json")

        refused = ask(client_for(north_manager))
        allowed = ask(client_for(south_manager))

    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "ai_budget_exhausted"
    assert int(refused["Retry-After"]) >= 1
    assert allowed.status_code == 200
    assert allowed.json()["data"]["provider"] == "openai"
    assert AIUsage.objects.filter(outcome="budget_exhausted", user=north_manager).count() == 1


def test_local_provider_is_not_held_by_the_token_budget(manager_client, manager_user, settings):
    settings.AI_MONTHLY_TOKEN_BUDGET = 1
    AIUsage.objects.create(
        user=manager_user, feature="query", provider="openai", tokens_in=50, outcome="success"
    )

    assert ask(manager_client).status_code == 200
