"""The OpenAPI schema documents the renewals domain errors where they can happen."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(api_client):
    response = api_client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/api/v1/cases", "post"),
        ("/api/v1/cases/{id}", "put"),
        ("/api/v1/cases/{id}/assign", "post"),
        ("/api/v1/cases/{id}/escalate", "post"),
        ("/api/v1/cases/{id}/contact-attempts", "post"),
        ("/api/v1/cases/{id}/payments", "post"),
        ("/api/v1/cases/{id}/reopen", "post"),
    ],
)
def test_case_writes_document_their_409(schema, path, method):
    responses = schema["paths"][path][method]["responses"]

    assert "409" in responses
    assert "401" in responses  # the shared error responses are still there


def test_put_case_names_the_transition_error_code(schema):
    description = schema["paths"]["/api/v1/cases/{id}"]["put"]["responses"]["409"]["description"]

    assert "case_invalid_transition" in description
