"""Issue 13 hole 3: the client IP behind the proxy, and a login limit that one address's
failures cannot turn against every account.

Behind the compose nginx (a fixed address in FORWARDED_ALLOW_IPS) the app counts failures per
account and per real client address, so five failures on random emails from one address never
block another account's sign-in from another address.
"""

import importlib
from pathlib import Path

import pytest
import yaml
from rest_framework.test import APIClient

from accounts.models import UserSession
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
LOGIN = "/api/v1/auth/login"
NGINX = "172.28.0.10"  # docker-compose.yml: nginx's fixed address
ATTACKER = "203.0.113.5"
COLLEAGUE = "198.51.100.7"


@pytest.fixture(autouse=True)
def _behind_nginx(settings):
    settings.FORWARDED_ALLOW_IPS = [NGINX]


def _via_nginx(client_ip: str, **headers) -> APIClient:
    return APIClient(REMOTE_ADDR=NGINX, HTTP_X_FORWARDED_FOR=client_ip, **headers)


def _login(client, email, password=DEFAULT_PASSWORD):
    return client.post(LOGIN, {"email": email, "password": password}, format="json")


def test_failures_on_random_emails_never_block_another_accounts_login_from_elsewhere():
    attacker = _via_nginx(ATTACKER)
    for n in range(10):
        _login(attacker, f"random{n}@example.com", "Wrong-password-123")
    user = UserFactory()

    response = _login(_via_nginx(COLLEAGUE), user.email)

    assert response.status_code == 200
    assert UserSession.objects.get(user=user).ip_address == COLLEAGUE


def test_the_admin_console_stays_open_from_elsewhere(client):
    attacker = _via_nginx(ATTACKER)
    for n in range(10):
        _login(attacker, f"random{n}@example.com", "Wrong-password-123")
    manager = UserFactory(role="manager", is_staff=True)

    client.post(
        "/admin/login/",
        {"username": manager.email, "password": DEFAULT_PASSWORD, "next": "/admin/"},
        REMOTE_ADDR=NGINX,
        HTTP_X_FORWARDED_FOR=COLLEAGUE,
    )

    assert (
        client.get("/admin/", REMOTE_ADDR=NGINX, HTTP_X_FORWARDED_FOR=COLLEAGUE).status_code == 200
    )


def test_same_address_shares_its_allowance_the_documented_trade_off():
    attacker = _via_nginx(ATTACKER)
    for n in range(5):
        _login(attacker, f"random{n}@example.com", "Wrong-password-123")
    user = UserFactory()

    response = _login(_via_nginx(ATTACKER), user.email)  # right password, same address

    assert response.status_code == 429


def test_account_limit_still_holds_across_addresses():
    user = UserFactory()
    for n in range(5):
        _login(_via_nginx(f"203.0.113.{n + 10}"), user.email, "Wrong-password-123")

    response = _login(_via_nginx(COLLEAGUE), user.email)

    assert response.status_code == 429


def test_a_client_cannot_choose_its_address_with_its_own_forwarded_header():
    for n in range(5):
        # nginx appends the real peer: "<what the client sent>, <client>"
        client = _via_nginx(f"10.9.9.{n}, {ATTACKER}")
        _login(client, f"random{n}@example.com", "Wrong-password-123")

    response = _login(_via_nginx(ATTACKER), UserFactory().email)

    assert response.status_code == 429


def test_forwarded_headers_from_an_untrusted_peer_are_ignored():
    for n in range(5):
        client = APIClient(REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=f"10.9.9.{n}")
        _login(client, f"random{n}@example.com", "Wrong-password-123")

    spoofing = APIClient(REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=COLLEAGUE)
    response = _login(spoofing, UserFactory().email)

    assert response.status_code == 429


def test_x_real_ip_from_the_proxy_is_used_without_x_forwarded_for():
    user = UserFactory()
    client = APIClient(REMOTE_ADDR=NGINX, HTTP_X_REAL_IP=COLLEAGUE)

    _login(client, user.email)

    assert UserSession.objects.get(user=user).ip_address == COLLEAGUE


def test_a_garbage_forwarded_address_falls_back_to_the_peer():
    user = UserFactory()

    _login(_via_nginx("not-an-address"), user.email)

    assert UserSession.objects.get(user=user).ip_address == NGINX


# --- one setting for the web server and the app --------------------------------------------


def test_uvicorn_gets_the_apps_trusted_proxies_in_every_way_of_serving(settings):
    from uvicorn.main import main as uvicorn_cli

    from intelipro import uvicorn_options, workers

    settings.FORWARDED_ALLOW_IPS = ["10.1.2.3", "172.28.0.0/24"]
    options = importlib.reload(uvicorn_options).UVICORN_OPTIONS
    worker_class = importlib.reload(workers).UvicornWorker

    expected = "10.1.2.3,172.28.0.0/24"
    # gunicorn's worker class (Dockerfile, compose) overrides gunicorn's own value with ours...
    assert worker_class.CONFIG_KWARGS["proxy_headers"] is True
    assert worker_class.CONFIG_KWARGS["forwarded_allow_ips"] == expected
    # ...and run_stack / the benchmarks pass the same on uvicorn's command line.
    params = uvicorn_cli.make_context("uvicorn", ["intelipro.asgi:application", *options])
    assert params.params["proxy_headers"] is True
    assert params.params["forwarded_allow_ips"] == expected


def test_compose_trusts_exactly_nginxs_address():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]

    nginx_ip = services["nginx"]["networks"]["default"]["ipv4_address"]
    assert services["api"]["environment"]["FORWARDED_ALLOW_IPS"] == nginx_ip == NGINX


def test_nginx_sends_the_client_address_on_every_proxied_location():
    conf = (ROOT / "deploy" / "nginx.conf").read_text()

    proxied = conf.count("proxy_pass ")
    assert conf.count("proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;") == proxied
    assert conf.count("proxy_set_header X-Real-IP $remote_addr;") == proxied
