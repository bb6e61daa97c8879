"""Issue 13 hole 4: with Redis (the cache) down, guessing passwords and MFA codes stays
limited — the login and MFA limits count in the database — while the general API limit fails
open. The cache here is a real django-redis client pointed at a port where nothing listens.

django-otp's own per-device throttle stays off (OTP_*_THROTTLE_FACTOR = 0, see base.py);
these tests prove its replacement covers every place a code is checked: the API's MFA step,
disabling MFA and the admin console.
"""

import socket

import pyotp
import pytest
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import AuthRateCounter
from accounts.services.mfa import mfa_confirm, mfa_setup
from accounts.services.sessions import sessions_prune
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login"
MFA_LOGIN = "/api/v1/auth/mfa/login"
MFA_DISABLE = "/api/v1/auth/mfa/disable"
ME = "/api/v1/auth/me"
WRONG = "Wrong-password-123"


def _dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed on exit: nothing listens there


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{_dead_port()}/0",
            # As in base.py: Redis errors are ignored so the API stays up.
            "OPTIONS": {
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
            },
        }
    }
    assert cache.add("probe", 1) is None  # really unreachable
    return settings


def _login(client, email, password=DEFAULT_PASSWORD):
    return client.post(LOGIN, {"email": email, "password": password}, format="json")


def _mfa_user(**kwargs):
    user = UserFactory(role="manager", **kwargs)
    secret = mfa_setup(user=user)["secret"]
    mfa_confirm(user=user, code=pyotp.TOTP(secret).now())
    user.refresh_from_db()
    return user, secret


def test_login_limit_holds_with_redis_down(redis_down, api_client):
    user = UserFactory()
    for _ in range(5):
        assert _login(api_client, user.email, WRONG).status_code == 401

    response = _login(api_client, user.email)  # even the right password

    assert response.status_code == 429
    assert response.json()["error"]["code"] == "throttled"
    assert response.has_header("Retry-After")
    assert AuthRateCounter.objects.filter(scope="login", ident=f"account:{user.email}").exists()


def test_ip_limit_holds_with_redis_down(redis_down, api_client):
    for n in range(5):
        _login(api_client, f"nobody{n}@example.com", WRONG)

    response = _login(api_client, UserFactory().email)

    assert response.status_code == 429


def test_right_logins_with_redis_down_use_up_nothing(redis_down, api_client):
    user = UserFactory()

    responses = [_login(api_client, user.email) for _ in range(7)]

    assert {r.status_code for r in responses} == {200}


def test_mfa_code_limit_holds_with_redis_down(redis_down, client_for):
    user, _secret = _mfa_user()
    client = client_for(user)
    for _ in range(5):
        client.post(MFA_DISABLE, {"password": DEFAULT_PASSWORD, "code": "000000"}, format="json")

    response = client.post(
        MFA_DISABLE, {"password": DEFAULT_PASSWORD, "code": "000000"}, format="json"
    )

    assert response.status_code == 429
    assert AuthRateCounter.objects.filter(scope="mfa", ident=f"user:{user.pk}").exists()


def test_mfa_login_step_is_limited_with_redis_down(redis_down):
    user, secret = _mfa_user()
    client = APIClient()
    mfa_token = _login(client, user.email).json()["data"]["mfa_token"]
    for _ in range(5):
        client.post(MFA_LOGIN, {"mfa_token": mfa_token, "code": "000000"}, format="json")

    response = client.post(
        MFA_LOGIN, {"mfa_token": mfa_token, "code": pyotp.TOTP(secret).now()}, format="json"
    )

    assert response.status_code == 429


def test_general_api_limit_fails_open_with_redis_down(redis_down, agent_client):
    redis_down.THROTTLE_RATES = {**redis_down.THROTTLE_RATES, "api_general": "1/h"}

    responses = [agent_client.get(ME) for _ in range(3)]

    assert {r.status_code for r in responses} == {200}


def _admin_login(client, user, code):
    return client.post(
        "/admin/login/",
        {
            "username": user.email,
            "password": DEFAULT_PASSWORD,
            "otp_token": code,
            "next": "/admin/",
        },
    )


@pytest.mark.parametrize("cache_state", ["up", "down"])
def test_admin_console_codes_share_the_mfa_limit(request, settings, cache_state):
    if cache_state == "down":
        request.getfixturevalue("redis_down")
    # Only the MFA window may stop the 6th code (not the failed-login limit of the account).
    settings.THROTTLE_RATES = {
        **settings.THROTTLE_RATES,
        "login": "100/15m",
        "login_ip": "100/15m",
    }
    user, secret = _mfa_user(is_staff=True, is_superuser=True)
    for _ in range(5):
        _admin_login(Client(), user, "000000")

    client = Client()
    response = _admin_login(client, user, pyotp.TOTP(secret).now())

    assert response.status_code == 200  # the form again
    assert "Too many wrong codes" in response.content.decode()
    assert client.get("/admin/").status_code == 302


def test_old_database_windows_are_pruned(redis_down, api_client):
    _login(api_client, "someone@example.com", WRONG)
    AuthRateCounter.objects.update(window_start="2020-01-01T00:00:00Z")

    deleted = sessions_prune()

    assert deleted["rate_windows"] == 2  # the account's and the IP's
    assert not AuthRateCounter.objects.exists()
