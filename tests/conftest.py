"""Root fixtures: API clients signed in with real JWTs, one user per role."""

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tokens import access_token_for
from tests.accounts.factories import UserFactory, seed_roles


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    """Rate-limit windows and cached figures must not leak between tests."""
    from django.core.cache import cache

    if hasattr(cache, "delete_pattern"):
        # Redis: only our prefixed keys. FLUSHDB would also empty the Celery broker's queues
        # when the broker shares the database (as REDIS_URL makes it).
        cache.delete_pattern("*")
    else:
        cache.clear()


@pytest.fixture(autouse=True)
def _roles_present(request) -> None:
    """Roles come from accounts' data migration. A transactional test's flush deletes them
    (and with --reuse-db a later session would start without them): seed them again, with
    the migration's own function, for every database test."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None:
        return
    request.getfixturevalue("transactional_db" if marker.kwargs.get("transaction") else "db")
    seed_roles()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def client_for() -> Callable[[User], APIClient]:
    """An API client that sends `Authorization: Bearer <access token>` for `user`."""

    def make(user: User) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token_for(user)}")
        return client

    return make


@pytest.fixture
def admin_user(db) -> User:
    return UserFactory(role="admin", is_staff=True, is_superuser=True)


@pytest.fixture
def manager_user(db) -> User:
    return UserFactory(role="manager")


@pytest.fixture
def agent_user(db) -> User:
    return UserFactory(role="agent")


@pytest.fixture
def viewer_user(db) -> User:
    return UserFactory(role="viewer")


@pytest.fixture
def staff_user(manager_user: User) -> User:
    return manager_user


@pytest.fixture
def admin_client(client_for, admin_user: User) -> APIClient:
    return client_for(admin_user)


@pytest.fixture
def manager_client(client_for, manager_user: User) -> APIClient:
    return client_for(manager_user)


@pytest.fixture
def agent_client(client_for, agent_user: User) -> APIClient:
    return client_for(agent_user)


@pytest.fixture
def viewer_client(client_for, viewer_user: User) -> APIClient:
    return client_for(viewer_user)


def pytest_terminal_summary(terminalreporter) -> None:
    """Print what the generated suites covered, so CI logs show it."""
    from tests.summary import COUNTS

    if COUNTS["matrix_cells"]:
        terminalreporter.write_line(
            f"Object-authorization matrix: {COUNTS['matrix_routes']} route x method pairs x "
            f"{COUNTS['matrix_roles']} roles = {COUNTS['matrix_cells']} cells "
            f"({COUNTS['matrix_requests']} requests)"
        )
    if COUNTS["fuzz_examples"]:
        terminalreporter.write_line(
            f"API fuzzing: {COUNTS['fuzz_operations']} operations x "
            f"{COUNTS['fuzz_roles']} roles, {COUNTS['fuzz_examples']} examples"
        )
