"""POST /ai/query with the offline `local` provider: grounded answers from the knowledge base
and real figures of a fixture book, scope, cache and usage rows."""

import pytest
from django.urls import reverse

from ai_assistant.models import AIUsage
from tests.ai_assistant.conftest import make_case

pytestmark = pytest.mark.django_db

URL = reverse("api:ai:query")


def ask(client, query, **context):
    return client.post(URL, {"query": query, "context": context}, format="json")


def test_local_provider_answers_with_sources_suggestions_and_figures(
    manager_client, knowledge, book
):
    response = ask(manager_client, "How can I improve renewal rates?", page="dashboard")

    assert response.status_code == 200
    data = response.json()["data"]
    assert data["provider"] == "local"
    assert data["cached"] is False
    # 4 renewed of 8 decided in the last 30 days; auto 3 of 6, health 1 of 2.
    assert "Renewal rate in the last 30 days: 50% (4 of 8 decided cases" in data["response"]
    assert "Auto 50%" in data["response"]
    documents = [src for src in data["sources"] if src["type"] == "document"]
    assert documents[0]["title"] == "Improving renewal rates"
    assert ":" in documents[0]["chunk_id"]
    assert {"type": "metric", "name": "renewal_rate_30d"} in data["sources"]
    assert 0.5 < data["confidence"] <= 0.95
    assert data["suggestions"]
    assert "How can I improve renewal rates?" not in data["suggestions"]
    assert set(data["usage"]) == {"model", "tokens_in", "tokens_out", "cost_estimate", "latency_ms"}


def test_local_provider_names_the_branch_that_is_behind(manager_client, knowledge, book):
    response = ask(manager_client, "Which branch is behind on renewals?")

    text = response.json()["data"]["response"]
    assert "South 25%, North 75%" in text
    assert "South is behind" in text


def test_local_provider_reports_overdue_and_unassigned_cases(manager_client, knowledge, book):
    response = ask(manager_client, "What is overdue right now?", page="cases")

    text = response.json()["data"]["response"]
    assert "overdue (renewal date passed): 2; unassigned: 2; due in the next 30 days: 1" in text


def test_local_provider_explains_why_customers_leave(manager_client, knowledge, book):
    response = ask(manager_client, "Why are customers leaving?")

    data = response.json()["data"]
    assert "1 cases were lost and 3 lapsed; top lost reasons: price (1)" in data["response"]
    assert any(src.get("title", "").startswith("Why customers leave") for src in data["sources"])


def test_agent_figures_cover_only_their_own_cases(agent_client, knowledge, book):
    response = ask(agent_client, "What is overdue right now?")

    text = response.json()["data"]["response"]
    assert "Open cases: 2; overdue (renewal date passed): 1; unassigned: 0" in text


def test_case_in_context_is_described(agent_client, knowledge, book):
    case = book["agent_due"]

    response = ask(agent_client, "Summarise this case.", page="case_detail", case_id=case.pk)

    data = response.json()["data"]
    assert case.case_number in data["response"]
    assert {"type": "case", "case_id": case.pk, "title": case.case_number} in data["sources"]


def test_case_of_another_agent_is_not_found(client_for, other_agent, knowledge, book):
    response = ask(client_for(other_agent), "Summarise this case.", case_id=book["agent_due"].pk)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_viewer_may_not_ask(viewer_client):
    response = ask(viewer_client, "How can I improve renewal rates?")

    assert response.status_code == 403


def test_query_is_required(manager_client):
    response = manager_client.post(URL, {"context": {}}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_repeat_question_is_served_from_cache(manager_client, knowledge, book):
    first = ask(manager_client, "How can I improve renewal rates?")

    second = ask(manager_client, "How can I improve renewal rates?")

    assert first.json()["data"]["cached"] is False
    assert second.json()["data"]["cached"] is True
    assert second.json()["data"]["response"] == first.json()["data"]["response"]
    assert list(AIUsage.objects.order_by("id").values_list("outcome", "cache_hit")) == [
        ("success", False),
        ("cached", True),
    ]


def test_every_call_writes_a_usage_row(manager_client, manager_user, knowledge, book):
    ask(manager_client, "Which branch is behind?", case_id=book["agent_due"].pk)

    usage = AIUsage.objects.get()
    assert usage.user == manager_user
    assert usage.feature == "query"
    assert usage.provider == "local"
    assert usage.model == "local-bm25"
    assert usage.prompt_version == "query-v1"
    assert usage.tokens_in > 0
    assert usage.tokens_out > 0
    assert usage.cost_estimate == 0
    assert usage.case_id == book["agent_due"].pk
    assert usage.outcome == "success"


def test_answer_without_any_grounding_says_so(manager_client):
    response = ask(manager_client, "zebra quantum xylophone")

    data = response.json()["data"]
    assert data["provider"] == "local"
    assert data["confidence"] < 0.5


def test_disabled_assistant_answers_409(admin_client, manager_client):
    admin_client.put(reverse("api:ai:settings"), {"enabled": False}, format="json")

    response = ask(manager_client, "How can I improve renewal rates?")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "ai_disabled"


def test_query_count_does_not_grow_with_the_book(
    manager_client, knowledge, book, django_assert_max_num_queries
):
    ask(manager_client, "warm the retrieval index")
    for _ in range(20):
        make_case(branch=book["north"], status="renewed", days_from_today=-3)

    with django_assert_max_num_queries(20):
        response = ask(manager_client, "Which branch is behind on renewals?")

    assert "North 96%" in response.json()["data"]["response"]
