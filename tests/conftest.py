"""Root fixtures: API clients signed in with real JWTs, one user per role."""

from collections.abc import Callable

import pytest
from django.test import Client
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


def admin_console_login(client: Client, user: User) -> Client:
    """Sign `user` in to /admin/ the way a person does: password and a code from their
    authenticator (superusers and staff whose role requires MFA need an OTP-verified session).
    Enrols an authenticator through accounts' services first when the user has none."""
    import base64

    import pyotp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.services.mfa import mfa_confirm, mfa_setup
    from tests.accounts.factories import DEFAULT_PASSWORD

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        secret = mfa_setup(user=user)["secret"]
        mfa_confirm(user=user, code=pyotp.TOTP(secret).now())
        device = TOTPDevice.objects.get(user=user, confirmed=True)
    code = pyotp.TOTP(base64.b32encode(device.bin_key).decode()).now()
    response = client.post(
        "/admin/login/",
        {
            "username": user.email,
            "password": DEFAULT_PASSWORD,
            "otp_token": code,
            "next": "/admin/",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return client


@pytest.fixture
def admin_web(client: Client, admin_user: User) -> Client:
    """A browser signed in to the admin console as admin_user (superuser), with MFA."""
    return admin_console_login(client, admin_user)
