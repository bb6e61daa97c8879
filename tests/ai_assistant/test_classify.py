"""ai_classify and POST /ai/classify: the offline model (held-out accuracy on the shipped
corpus), VADER sentiment, priority, and the LLM path with JSON output and local fallback."""

import io
import json
import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from ai_assistant.classify import CATEGORIES, corpus_load
from ai_assistant.models import AIUsage
from ai_assistant.services import ai_classify
from tests.ai_assistant.fake_openai import FakeOpenAIServer, Step

pytestmark = pytest.mark.django_db

URL = reverse("api:ai:classify")
SETTINGS_URL = reverse("api:ai:settings")


def test_corpus_has_at_least_60_examples_per_category():
    _texts, labels = corpus_load()

    assert {category: labels.count(category) >= 60 for category in CATEGORIES} == dict.fromkeys(
        CATEGORIES, True
    )


def test_training_command_reports_held_out_accuracy_of_at_least_0_8(tmp_path):
    out = io.StringIO()

    call_command("ai_classifier_train", "--out", str(tmp_path), stdout=out)

    accuracy = float(re.search(r"held-out accuracy (\d\.\d+)", out.getvalue()).group(1))
    assert accuracy >= 0.8
    meta = json.loads((tmp_path / "classifier-v1.json").read_text())
    assert meta["held_out_accuracy"] >= 0.8
    assert meta["test_size"] >= 100
    assert (tmp_path / "classifier-v1.joblib").stat().st_size > 0


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("I want to cancel my policy, I sold the car last week.", "cancellation"),
        ("My car was hit in the parking lot, how do I file a claim?", "claim"),
        ("The payment link gives an error when I enter my card.", "payment"),
        ("When is my health policy due for renewal and what is the premium?", "renewal_inquiry"),
        ("Can the agent call me tomorrow at 5 pm?", "appointment"),
    ],
)
def test_local_model_classifies_typical_messages(manager_user, text, category):
    result = ai_classify(text=text, user=manager_user)

    assert result["category"] == category
    assert result["provider"] == "local"
    assert result["model"] == "local-classifier-v1"
    assert 0 < result["intent"]["confidence"] <= 1


def test_angry_complaint_is_negative_and_urgent(manager_client):
    response = manager_client.post(
        URL,
        {
            "subject": "Disgusted with your service",
            "text": "Nobody has called me back for two weeks. This is terrible and unacceptable. "
            "I will go to the ombudsman.",
        },
        format="json",
    )

    assert response.status_code == 200
    data = response.json()["data"]
    assert data["category"] == "complaint"
    assert data["sentiment"]["label"] == "negative"
    assert -1 <= data["sentiment"]["score"] < -0.5
    assert data["intent"]["name"] == "raise_complaint"
    assert data["priority"] == "urgent"
    usage = AIUsage.objects.get()
    assert (usage.feature, usage.provider, usage.outcome) == ("classify", "local", "success")


def test_thanks_is_positive_low_priority_feedback(manager_user):
    result = ai_classify(text="Thank you so much, Asha was wonderful and very helpful!")

    assert result["category"] == "feedback"
    assert result["sentiment"]["label"] == "positive"
    assert result["priority"] == "low"


def test_viewer_may_not_classify(viewer_client):
    assert viewer_client.post(URL, {"text": "hello"}, format="json").status_code == 403


def test_classify_feature_off_answers_409(admin_client, manager_client):
    admin_client.put(SETTINGS_URL, {"features": {"classify": False}}, format="json")

    response = manager_client.post(URL, {"text": "Please refund me"}, format="json")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "ai_feature_disabled"


@pytest.fixture
def fake(monkeypatch):
    with FakeOpenAIServer() as fake:
        monkeypatch.setenv("OPENAI_BASE_URL", f"{fake.url}/v1")
        yield fake


LLM_JSON = json.dumps(
    {
        "category": "refund",
        "sentiment_score": -0.3,
        "intent": "request_refund",
        "intent_confidence": 0.92,
        "priority": "high",
    }
)


def test_llm_provider_answers_json_with_a_schema(admin_client, manager_client, fake):
    fake.steps = [Step(content=LLM_JSON)]
    admin_client.put(SETTINGS_URL, {"provider": "openai", "api_key": "sk-abc"}, format="json")

    response = manager_client.post(
        URL, {"text": "Refund me now, write to ravi@example.com"}, format="json"
    )

    data = response.json()["data"]
    assert data["provider"] == "openai"
    assert data["category"] == "refund"
    assert data["sentiment"] == {"score": -0.3, "label": "negative"}
    assert data["intent"] == {"name": "request_refund", "confidence": 0.92}
    body = fake.requests[0].body
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["schema"]["properties"]["category"][
        "enum"
    ] == list(CATEGORIES)
    assert "ravi@example.com" not in json.dumps(body)


@pytest.mark.parametrize(
    "step",
    [
        Step(content="I think this is a refund request."),  # not JSON
        Step(content=json.dumps({"category": "spam", "sentiment_score": 0})),  # off schema
        Step(status=503),
    ],
)
def test_llm_failure_or_invalid_output_falls_back_to_the_local_model(
    admin_client, manager_client, fake, step
):
    fake.steps = [step]
    admin_client.put(SETTINGS_URL, {"provider": "openai", "api_key": "sk-abc"}, format="json")

    response = manager_client.post(
        URL, {"text": "I want to cancel my policy, I sold the car."}, format="json"
    )

    data = response.json()["data"]
    assert data["provider"] == "local"
    assert data["category"] == "cancellation"
    assert AIUsage.objects.get().outcome == "fallback"
