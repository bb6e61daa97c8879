"""The OpenAI family through the real `openai` SDK against a chat-completions server on
loopback: request body, auth headers, the Azure deployment path, fallback on 429, timeout and
5xx, the fallback message, the settings test call, PII redaction, and the key never leaking."""

import json
import logging

import pytest
from django.db import connection
from django.urls import reverse

from ai_assistant.models import AIUsage
from core.models import AuditEvent
from tests.ai_assistant.fake_openai import FakeOpenAIServer, Step
from tests.renewals.factories import CustomerFactory, PolicyFactory, RenewalCaseFactory

pytestmark = pytest.mark.django_db

SETTINGS_URL = reverse("api:ai:settings")
QUERY_URL = reverse("api:ai:query")
KEY = "sk-test-DO-NOT-LEAK-1234567890abcd"


@pytest.fixture
def fake(monkeypatch):
    with FakeOpenAIServer() as fake:
        # The SDK's documented override of api.openai.com: the `openai` provider's real path.
        monkeypatch.setenv("OPENAI_BASE_URL", f"{fake.url}/v1")
        yield fake


def configure(admin_client, **values):
    response = admin_client.put(SETTINGS_URL, values, format="json")
    assert response.status_code == 200, response.json()
    return response


def ask(client, query="How can I improve renewal rates?", **context):
    response = client.post(QUERY_URL, {"query": query, "context": context}, format="json")
    assert response.status_code == 200, response.json()
    return response.json()["data"]


def test_openai_provider_sends_the_chat_completion_with_bearer_key(
    admin_client, manager_client, fake
):
    configure(admin_client, provider="openai", model="gpt-4o-mini", api_key=KEY)

    data = ask(manager_client)

    assert data["provider"] == "openai"
    assert data["response"].startswith("Model answer.")
    seen = fake.requests[0]
    assert seen.path == "/v1/chat/completions"
    assert seen.headers["authorization"] == f"Bearer {KEY}"
    assert seen.body["model"] == "gpt-4o-mini"
    assert seen.body["temperature"] == 0.7
    assert seen.body["max_tokens"] == 1000
    assert [m["role"] for m in seen.body["messages"]] == ["system", "user"]
    assert "Question: How can I improve renewal rates?" in seen.body["messages"][1]["content"]
    assert data["usage"]["tokens_in"] == 120
    assert data["usage"]["tokens_out"] == 30
    # gpt-4o-mini: $0.15 / $0.60 per 1M tokens (settings.AI_PRICES_PER_MILLION).
    assert data["usage"]["cost_estimate"] == pytest.approx(0.000036)
    usage = AIUsage.objects.get()
    assert (usage.provider, usage.model, usage.outcome) == ("openai", "gpt-4o-mini", "success")
    assert float(usage.cost_estimate) == pytest.approx(0.000036)


def test_azure_provider_calls_the_deployment_path_with_api_key_header(
    admin_client, manager_client, fake
):
    configure(
        admin_client,
        provider="azure_openai",
        azure_endpoint=fake.url,
        azure_deployment="renewals-gpt",
        api_version="2024-10-21",
        api_key=KEY,
    )

    data = ask(manager_client)

    assert data["provider"] == "azure_openai"
    seen = fake.requests[0]
    assert seen.path == "/openai/deployments/renewals-gpt/chat/completions?api-version=2024-10-21"
    assert seen.headers["api-key"] == KEY


def test_openai_compatible_provider_uses_its_base_url(admin_client, manager_client, fake):
    configure(
        admin_client,
        provider="openai_compatible",
        base_url=f"{fake.url}/ollama/v1",
        model="llama3.1",
    )

    data = ask(manager_client)

    assert data["provider"] == "openai_compatible"
    assert fake.requests[0].path == "/ollama/v1/chat/completions"
    assert fake.requests[0].body["model"] == "llama3.1"


def _with_chain(admin_client, fake, **extra):
    configure(
        admin_client,
        provider="openai",
        model="gpt-4o-mini",
        api_key=KEY,
        fallback_chain=[
            {
                "provider": "openai_compatible",
                "base_url": f"{fake.url}/compat/v1",
                "model": "llama3.1",
            }
        ],
        **extra,
    )


def test_a_429_falls_back_to_the_next_provider_in_the_same_request(
    admin_client, manager_client, fake
):
    fake.steps = [Step(status=429), Step()]
    _with_chain(admin_client, fake)

    data = ask(manager_client)

    assert data["provider"] == "openai_compatible"
    assert [r.path for r in fake.requests] == [
        "/v1/chat/completions",
        "/compat/v1/chat/completions",
    ]
    usage = AIUsage.objects.get()
    assert usage.outcome == "fallback"
    assert usage.error_code == "openai:rate_limited"


def test_a_timeout_falls_back_to_the_next_provider(admin_client, manager_client, fake):
    fake.steps = [Step(delay=3), Step()]
    _with_chain(admin_client, fake, response_timeout=1)

    data = ask(manager_client)

    assert data["provider"] == "openai_compatible"
    assert AIUsage.objects.get().error_code == "openai:timeout"


def test_5xx_everywhere_ends_with_the_local_provider(admin_client, manager_client, fake):
    fake.steps = [Step(status=503)]
    _with_chain(admin_client, fake)

    data = ask(manager_client)

    assert data["provider"] == "local"
    assert AIUsage.objects.get().error_code == "openai:http_503,openai_compatible:http_503"


def test_without_fallback_a_failure_answers_the_fallback_message(
    admin_client, manager_client, fake
):
    fake.steps = [Step(status=500)]
    configure(
        admin_client,
        provider="openai",
        api_key=KEY,
        fallback_enabled=False,
        fallback_message="Assistant unavailable, ask your manager.",
    )

    data = ask(manager_client)

    assert data["response"] == "Assistant unavailable, ask your manager."
    assert data["confidence"] == 0
    assert data["provider"] == ""
    assert AIUsage.objects.get().outcome == "fallback_message"


def test_settings_test_call_reports_success(admin_client, fake):
    response = admin_client.put(
        f"{SETTINGS_URL}?test=true", {"provider": "openai", "api_key": KEY}, format="json"
    )

    test = response.json()["data"]["test"]
    assert test["ok"] is True
    assert test["provider"] == "openai"
    assert len(fake.requests) == 1
    assert AIUsage.objects.get().feature == "settings_test"


def test_settings_test_call_reports_the_provider_error_code(admin_client, fake):
    fake.steps = [Step(status=401)]

    response = admin_client.put(
        f"{SETTINGS_URL}?test=true", {"provider": "openai", "api_key": KEY}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["data"]["test"]["ok"] is False
    assert response.json()["data"]["test"]["error_code"] == "http_401"


def test_pii_is_redacted_for_the_provider_and_restored_in_the_answer(
    admin_client, agent_client, agent_user, fake
):
    customer = CustomerFactory(
        first_name="Priya",
        last_name="Sharma",
        email="priya.sharma@example.com",
        phone="+91 98765 43210",
    )
    case = RenewalCaseFactory(
        policy=PolicyFactory(customer=customer, policy_number="POL-778899"),
        assigned_to=agent_user,
        case_number="REN-2026-004242",
    )
    configure(admin_client, provider="openai", api_key=KEY)

    data = ask(
        agent_client,
        "Draft a reminder to priya.sharma@example.com for Priya Sharma",
        page="case_detail",
        case_id=case.pk,
    )

    sent = json.dumps(fake.requests[0].body)
    for secret in (
        "Priya",
        "Sharma",
        "priya.sharma@example.com",
        "98765",
        "REN-2026-004242",
        "POL-778899",
    ):
        assert secret not in sent
    assert "<EMAIL_1>" in sent
    assert "<NAME_1>" in sent
    assert "<CASE_1>" in sent
    assert "priya.sharma@example.com" in data["response"]
    assert "Priya Sharma" in data["response"]
    assert "REN-2026-004242" in data["response"]
    assert "<EMAIL_1>" not in data["response"]


def test_the_local_provider_gets_no_redaction(agent_client, agent_user):
    customer = CustomerFactory(first_name="Priya", last_name="Sharma")
    case = RenewalCaseFactory(policy=PolicyFactory(customer=customer), assigned_to=agent_user)

    data = ask(agent_client, "Summarise this case.", case_id=case.pk)

    assert "Priya Sharma" in data["response"]


def test_api_key_never_appears_in_responses_logs_audit_or_usage(
    admin_client, manager_client, fake, caplog
):
    caplog.set_level(logging.DEBUG)
    fake.steps = [Step(status=500), Step()]

    put = admin_client.put(
        f"{SETTINGS_URL}?test=true", {"provider": "openai", "api_key": KEY}, format="json"
    )
    got = admin_client.get(SETTINGS_URL)
    answer = manager_client.post(QUERY_URL, {"query": "renewal rates"}, format="json")
    bad = admin_client.put(SETTINGS_URL, {"api_key": KEY, "temperature": 9}, format="json")

    assert put.json()["data"]["api_key_set"] is True
    assert put.json()["data"]["api_key_last4"] == "abcd"
    for response in (put, got, answer, bad):
        assert KEY not in response.content.decode()
        assert "DO-NOT-LEAK" not in response.content.decode()
    assert "DO-NOT-LEAK" not in caplog.text
    events = list(AuditEvent.objects.values_list("changes", flat=True))
    assert events
    assert "DO-NOT-LEAK" not in json.dumps(events)
    assert "DO-NOT-LEAK" not in json.dumps(list(AIUsage.objects.values()), default=str)
    with connection.cursor() as cursor:
        cursor.execute("SELECT api_key_encrypted FROM ai_settings")
        stored = cursor.fetchone()[0]
    assert "DO-NOT-LEAK" not in stored


def test_an_empty_api_key_removes_it(admin_client):
    configure(admin_client, provider="openai", api_key=KEY)

    data = configure(admin_client, api_key="").json()["data"]

    assert data["api_key_set"] is False
    assert data["api_key_last4"] == ""


def test_fallback_chain_keys_are_write_only_too(admin_client, fake):
    data = configure(
        admin_client,
        fallback_chain=[
            {"provider": "openai_compatible", "base_url": f"{fake.url}/v1", "api_key": KEY}
        ],
    ).json()["data"]

    assert data["fallback_chain"][0]["api_key_set"] is True
    assert data["fallback_chain"][0]["api_key_last4"] == "abcd"
    assert "api_key" not in data["fallback_chain"][0]
