import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_health_answers_in_the_envelope(api_client):
    response = api_client.get("/health")

    assert response.status_code == 200
    assert response.json()["data"]["services"]["database"] == "connected"


def test_authenticated_client_is_accepted_by_jwt(agent_client):
    response = agent_client.get(reverse("api:health"))

    assert response.status_code == 200
