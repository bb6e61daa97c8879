"""API fuzzing against the project's own OpenAPI schema (schemathesis), as each of the four roles.

Every operation of the schema is called with generated requests, valid ones and ones the schema
forbids, through the real WSGI stack (routing, authentication, throttles, renderer, exception
handler) on the test database. Required, for every role and operation:
- no 5xx (`not_a_server_error`);
- every response matches what the schema documents: status code, content type, body schema and
  headers;
- a request the schema forbids never succeeds (`negative_data_rejection`).
Examples per operation are bounded (FUZZ_MAX_EXAMPLES, default 8) to keep CI within budget;
the session prints how many operations and examples ran. Every failure found becomes a plain
regression test next to the code it concerns.
"""

import os

import pytest
import schemathesis
from django.core import signals
from django.core.cache import cache
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.tokens import access_token_for
from tests.accounts.factories import UserFactory
from tests.summary import COUNTS

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "8"))
ROLES = ["admin", "manager", "agent", "viewer"]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_rejection,
]
# Operations left out, each with its reason.
EXCLUDED_PATHS = [
    # Streams a file the caller just uploaded; its body is binary, not JSON.
]

OPERATIONS: set[str] = set()
COUNTS["fuzz_roles"] = len(ROLES)


# Loaded at collection: the schema view needs no database (drf-spectacular reads the code).
# Authorization is sent by the test for each role, so schemathesis neither generates nor drops it.
# Unknown query parameters are ignored, as REST clients expect, so they are not "invalid".
CONFIG = schemathesis.Config.from_dict(
    {"generation": {"with-security-parameters": False, "allow-extra-parameters": True}}
)
schema = schemathesis.openapi.from_wsgi(
    "/api/v1/schema/?format=json", get_wsgi_application(), config=CONFIG
)


@pytest.fixture(autouse=True)
def _one_connection_for_the_test():
    """The WSGI handler closes stale connections at each request's start and end; inside the
    test's transaction that would drop it. Django's test client disconnects the same signal."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


def _fuzz(case, role: str) -> None:
    # A fresh user per example: a generated request may deactivate, log out or lock its caller.
    user = UserFactory(role=role, is_staff=role == "admin", is_superuser=role == "admin")
    cache.clear()  # rate-limit windows: the fuzzer is one client sending many requests
    OPERATIONS.add(case.operation.label)
    COUNTS["fuzz_operations"] = len(OPERATIONS)
    COUNTS["fuzz_examples"] += 1

    # Each example in its own savepoint: a request that hit a database error (answered 400)
    # must not poison the test's transaction for the next example, as it would not in
    # production (autocommit, one transaction per request).
    with transaction.atomic():
        case.call_and_validate(
            headers={"Authorization": f"Bearer {access_token_for(user)}"}, checks=CHECKS
        )


# One test per role (schemathesis' lazy schema can't be combined with pytest parametrization).
@schema.parametrize()
@FUZZ_SETTINGS
def test_fuzz_as_admin(case):
    _fuzz(case, "admin")


@schema.parametrize()
@FUZZ_SETTINGS
def test_fuzz_as_manager(case):
    _fuzz(case, "manager")


@schema.parametrize()
@FUZZ_SETTINGS
def test_fuzz_as_agent(case):
    _fuzz(case, "agent")


@schema.parametrize()
@FUZZ_SETTINGS
def test_fuzz_as_viewer(case):
    _fuzz(case, "viewer")
