"""The API's conventions, through real routing: envelope, errors, slashes, pagination."""

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.core.urls")]


def test_success_body_is_wrapped_in_the_envelope(api_client):
    response = api_client.get("/api/v1/_probe/echo")

    assert response.status_code == 200
    assert response.json() == {"success": True, "data": {"ok": True, "amount": 25000.5}}


def test_money_is_a_json_number_not_a_string(api_client):
    response = api_client.post(
        "/api/v1/_probe/echo", {"name": "x", "amount": "12.50"}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["data"]["amount"] == 12.5


def test_no_content_keeps_an_empty_body(api_client):
    response = api_client.delete("/api/v1/_probe/echo")

    assert response.status_code == 204
    assert response.content == b""


@pytest.mark.parametrize("url", ["/api/v1/_probe/echo", "/api/v1/_probe/echo/"])
def test_post_works_with_and_without_trailing_slash(api_client, url):
    response = api_client.post(url, {"name": "ok", "amount": "1"}, format="json")

    assert response.status_code == 201


@pytest.mark.parametrize("url", ["/health", "/health/", "/api/v1/health", "/api/v1/health/"])
def test_get_works_with_and_without_trailing_slash(api_client, url):
    response = api_client.get(url)

    assert response.status_code == 200


def test_validation_error_has_code_and_field_details(api_client):
    response = api_client.post(
        "/api/v1/_probe/echo", {"name": "far too long a name", "amount": "-1"}, format="json"
    )

    assert response.status_code == 400
    body = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == "validation_error"
    assert set(body["error"]["details"]) == {"name", "amount"}
    assert body["error"]["message"]


def test_malformed_json_is_a_parse_error(api_client):
    response = api_client.generic(
        "POST", "/api/v1/_probe/echo", '{"name": ', content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_unsupported_media_type_is_415(api_client):
    response = api_client.generic(
        "POST", "/api/v1/_probe/echo", "name=x", content_type="text/plain"
    )

    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_missing_credentials_is_401(api_client):
    response = api_client.get("/api/v1/_probe/private")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_bad_bearer_token_is_401(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-jwt")

    response = api_client.get("/api/v1/_probe/private")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_not_valid"


def test_valid_bearer_token_is_accepted(agent_client, agent_user):
    response = agent_client.get("/api/v1/_probe/private")

    assert response.status_code == 200
    assert response.json()["data"]["user"] == agent_user.email


def test_django_permission_denied_is_403(api_client):
    response = api_client.get("/api/v1/_probe/errors/django-403")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_django_http404_is_enveloped_404(api_client):
    response = api_client.get("/api/v1/_probe/errors/django-404")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_django_validation_error_is_400_with_details(api_client):
    response = api_client.get("/api/v1/_probe/errors/django-validation")

    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"email": ["Enter a valid email."]}


@pytest.mark.parametrize("url", ["/api/v1/nothing-here", "/api/v2/cases", "/api/", "/api"])
def test_unknown_api_url_is_enveloped_404(api_client, url):
    response = api_client.post(url, {}, format="json")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_method_not_allowed_is_405(api_client):
    response = api_client.put("/api/v1/_probe/echo", {}, format="json")

    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_domain_conflict_is_409_with_its_code_and_details(api_client):
    response = api_client.get("/api/v1/_probe/errors/conflict")

    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "case_invalid_transition",
        "message": "Case is closed.",
        "details": {"status": "lost"},
    }


def test_domain_error_may_be_413(api_client):
    response = api_client.get("/api/v1/_probe/errors/too-large")

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "file_too_large"


def test_request_body_over_the_limit_is_413(api_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100

    response = api_client.post(
        "/api/v1/_probe/echo", {"name": "x" * 500, "amount": 1}, format="json"
    )

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_throttled_is_429_with_retry_after(api_client):
    for _ in range(2):
        assert api_client.get("/api/v1/_probe/throttled").status_code == 200

    response = api_client.get("/api/v1/_probe/throttled")

    assert response.status_code == 429
    assert response.json()["error"]["code"] == "throttled"
    assert 1 <= int(response["Retry-After"]) <= 60


def test_unexpected_error_is_500_without_internals(api_client):
    response = api_client.get("/api/v1/_probe/errors/boom")

    assert response.status_code == 500
    body = response.json()
    assert body["error"]["code"] == "server_error"
    assert "hunter2" not in response.content.decode()
    assert "Traceback" not in response.content.decode()


def test_pagination_shape_follows_the_spec(api_client):
    response = api_client.get("/api/v1/_probe/items", {"page": 2, "limit": 10})

    data = response.json()["data"]
    assert [item["n"] for item in data["items"]] == list(range(11, 21))
    assert data["pagination"] == {
        "current_page": 2,
        "total_pages": 3,
        "total_records": 25,
        "per_page": 10,
    }


def test_pagination_limit_is_capped_at_100(api_client):
    response = api_client.get("/api/v1/_probe/items", {"limit": 1000})

    assert response.json()["data"]["pagination"]["per_page"] == 100


def test_pagination_default_is_ten_per_page(api_client):
    response = api_client.get("/api/v1/_probe/items")

    assert response.json()["data"]["pagination"]["per_page"] == 10
    assert len(response.json()["data"]["items"]) == 10


def test_page_past_the_end_is_empty_with_real_totals(api_client):
    response = api_client.get("/api/v1/_probe/items", {"page": 9})

    data = response.json()["data"]
    assert data["items"] == []
    assert data["pagination"]["total_records"] == 25


@pytest.mark.parametrize("params", [{"page": "x"}, {"page": 0}, {"limit": -5}])
def test_bad_page_parameters_are_400(api_client, params):
    response = api_client.get("/api/v1/_probe/items", params)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_request_id_is_generated_and_returned(api_client):
    response = api_client.get("/health")

    assert len(response["X-Request-ID"]) == 32


def test_caller_request_id_is_echoed(api_client):
    response = api_client.get("/health", HTTP_X_REQUEST_ID="abc-123.x")

    assert response["X-Request-ID"] == "abc-123.x"


def test_unsafe_request_id_is_replaced(api_client):
    response = api_client.get("/health", HTTP_X_REQUEST_ID="bad id\nInjected: 1")

    assert response["X-Request-ID"] != "bad id\nInjected: 1"
    assert len(response["X-Request-ID"]) == 32


# --- filters: strict values, empty means no filter (found by the API fuzzer) ----------------


@pytest.mark.django_db
def test_a_boolean_filter_that_is_not_true_or_false_is_a_400(admin_client):
    response = admin_client.get("/api/v1/cases", {"escalated": "maybe"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert "escalated" in response.json()["error"]["details"]


@pytest.mark.django_db
def test_an_id_filter_beyond_the_integer_range_is_a_400_not_a_500(admin_client):
    response = admin_client.get("/api/v1/policies", {"customer_id": "2.8e33"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


@pytest.mark.django_db
def test_an_id_filter_with_a_fraction_is_a_400(admin_client):
    response = admin_client.get("/api/v1/policies", {"agent_id": "7.5"})

    assert response.status_code == 400


@pytest.mark.django_db
def test_an_empty_filter_means_no_filter(admin_client):
    response = admin_client.get("/api/v1/cases", {"renewal_date_to": "", "escalated": ""})

    assert response.status_code == 200


@pytest.mark.django_db
def test_a_limit_above_the_cap_is_served_as_the_cap(admin_client):
    response = admin_client.get("/api/v1/cases", {"limit": "1000"})

    assert response.status_code == 200
    assert response.json()["data"]["pagination"]["per_page"] == 100


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/api/v1/notifications/mark-all-read", "/api/v1/cases/bulk-assign", "/api/v1/cases"]
)
def test_options_describes_the_endpoint_without_a_500(admin_client, url):
    response = admin_client.options(url)

    assert response.status_code == 200
    data = response.json()["data"]
    assert set(data) == {"name", "description", "renders", "parses"}
    assert "application/json" in data["parses"]


@pytest.mark.django_db
def test_a_form_with_too_many_fields_is_a_400_not_a_500(admin_client, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    fields = {"entity_type": "case", "entity_id": "1", "extra": [str(n) for n in range(50)]}

    response = admin_client.post("/api/v1/files/upload", fields, format="multipart")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "too_many_fields"


@pytest.mark.django_db
def test_a_json_endpoint_refuses_a_form_body_with_415(admin_client):
    response = admin_client.post(
        "/api/v1/cases/bulk-assign", {"assigned_to": "1"}, format="multipart"
    )

    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


# --- more findings of the API fuzzer, each a plain regression test -----------------------------


@pytest.mark.django_db
def test_logout_refuses_a_refresh_token_that_is_not_a_string(agent_client):
    response = agent_client.post("/api/v1/auth/logout", {"refresh_token": 12}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


@pytest.mark.django_db
def test_classify_refuses_a_subject_that_is_not_a_string(agent_client):
    response = agent_client.post(
        "/api/v1/ai/classify", {"text": "I want a refund", "subject": 0}, format="json"
    )

    assert response.status_code == 400
    assert "subject" in response.json()["error"]["details"]


@pytest.mark.django_db
def test_ai_settings_test_flag_must_be_true_or_false_and_nothing_is_saved_otherwise(admin_client):
    before = admin_client.get("/api/v1/ai/settings").json()["data"]["temperature"]

    response = admin_client.put(
        "/api/v1/ai/settings?test=maybe", {"temperature": 1.5}, format="json"
    )

    assert response.status_code == 400
    assert admin_client.get("/api/v1/ai/settings").json()["data"]["temperature"] == before


@pytest.mark.django_db
def test_a_user_with_an_empty_avatar_matches_the_documented_user_schema(agent_client):
    from django.test import Client

    schema = Client().get("/api/v1/schema/?format=json").json()
    avatar = schema["components"]["schemas"]["User"]["properties"]["avatar_url"]

    response = agent_client.get("/api/v1/auth/me")

    assert response.json()["data"]["avatar_url"] == ""
    assert avatar.get("format") != "uri"


@pytest.mark.django_db
def test_an_id_beyond_the_database_range_in_a_body_is_a_400(manager_client):
    response = manager_client.post(
        "/api/v1/cases/bulk-assign",
        {"filter": {"batch_id": 10**40}, "assigned_to": 1},
        format="json",
    )

    assert response.status_code == 400


@pytest.mark.django_db
def test_a_text_field_refuses_a_number(agent_client):
    response = agent_client.patch("/api/v1/auth/me", {"phone": 0}, format="json")

    assert response.status_code == 400
    assert "phone" in response.json()["error"]["details"]


@pytest.mark.django_db
def test_a_request_without_a_peer_address_is_audited_without_an_ip(agent_client):
    from core.models import AuditEvent

    response = agent_client.patch(
        "/api/v1/auth/me", {"first_name": "Ann"}, format="json", REMOTE_ADDR=""
    )

    assert response.status_code == 200
    assert AuditEvent.objects.latest("pk").ip_address is None
