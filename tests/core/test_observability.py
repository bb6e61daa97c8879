"""Structured access log and configurable rate limits."""

import logging

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.core.urls")]


def test_one_access_log_line_per_request_with_its_fields(agent_client, agent_user, caplog):
    with caplog.at_level(logging.INFO, logger="intelipro.request"):
        response = agent_client.get("/api/v1/_probe/private", HTTP_X_REQUEST_ID="trace-42")

    (record,) = [r for r in caplog.records if r.name == "intelipro.request"]
    assert response.status_code == 200
    assert (record.method, record.path, record.status) == ("GET", "/api/v1/_probe/private", 200)
    assert record.user_id == agent_user.pk
    assert record.request_id == "trace-42"
    assert record.duration_ms >= 0


def test_json_formatter_renders_one_json_object(agent_client, caplog):
    import json

    from pythonjsonlogger.json import JsonFormatter

    formatter = JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s")
    with caplog.at_level(logging.INFO, logger="intelipro.request"):
        agent_client.get("/api/v1/_probe/private")

    (record,) = [r for r in caplog.records if r.name == "intelipro.request"]
    line = json.loads(formatter.format(record))
    assert {"method", "path", "status", "duration_ms", "user_id", "request_id"} <= set(line)


def test_general_api_rate_comes_from_settings(agent_client, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "api_general": "3/m"}

    statuses = [agent_client.get("/api/v1/_probe/echo").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]


def test_rate_limit_counts_each_user_separately(client_for, agent_user, viewer_user, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "api_general": "1/m"}
    client_for(agent_user).get("/api/v1/_probe/echo")

    response = client_for(viewer_user).get("/api/v1/_probe/echo")

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("rate", "expected"), [("5/15m", (5, 900)), ("1000/hour", (1000, 3600)), ("10/h", (10, 3600))]
)
def test_rates_are_parsed_with_multipliers(rate, expected):
    from intelipro.api.throttling import parse_rate

    assert parse_rate(rate) == expected
