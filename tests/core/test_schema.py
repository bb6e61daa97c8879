"""The OpenAPI schema: served, valid, and describing the envelope, errors and auth."""

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_schema_validates_without_warnings(tmp_path):
    out = tmp_path / "schema.yml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))

    assert out.read_text().startswith("openapi: 3")


def test_schema_is_served_as_json(api_client):
    response = api_client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "Intelipro API"


def test_schema_describes_error_envelope_and_bearer_auth(api_client):
    schema = api_client.get(
        "/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json"
    ).json()

    error = schema["components"]["schemas"]["ErrorEnvelope"]
    assert set(error["properties"]["error"]["properties"]) == {"code", "message", "details"}
    schemes = schema["components"].get("securitySchemes", {})
    assert any(s.get("scheme") == "bearer" for s in schemes.values())


def test_schema_wraps_success_responses_in_the_envelope(api_client):
    schema = api_client.get(
        "/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json"
    ).json()

    health = schema["paths"]["/health"]["get"]["responses"]["200"]["content"]["application/json"]
    assert set(health["schema"]["properties"]) == {"success", "data"}


@pytest.mark.parametrize("url", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_docs_pages_render_without_a_cdn(api_client, url):
    response = api_client.get(url)

    assert response.status_code == 200
    assert "cdn.jsdelivr" not in response.content.decode()
