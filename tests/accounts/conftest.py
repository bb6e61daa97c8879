"""Helpers of the accounts tests: sign in through the real endpoint, compute TOTP codes."""

import base64
from collections.abc import Callable
from typing import Any

import pyotp
import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from accounts.models import User
from tests.accounts.factories import DEFAULT_PASSWORD

LOGIN_URL = "/api/v1/auth/login"


@pytest.fixture
def login() -> Callable[..., Any]:
    """POST /auth/login and return the response."""

    def do(client: APIClient, user_or_email: User | str, password: str = DEFAULT_PASSWORD, **extra):
        email = user_or_email if isinstance(user_or_email, str) else user_or_email.email
        headers = {k: v for k, v in extra.items() if k.startswith("HTTP_")}
        body = {k: v for k, v in extra.items() if not k.startswith("HTTP_")}
        return client.post(
            LOGIN_URL, {"email": email, "password": password, **body}, format="json", **headers
        )

    return do


@pytest.fixture
def tokens_for(api_client, login) -> Callable[[User], dict[str, Any]]:
    """Sign `user` in (no MFA) and return the login data (access_token, refresh_token...)."""

    def do(user: User, **extra) -> dict[str, Any]:
        response = login(APIClient(), user, **extra)
        assert response.status_code == 200, response.json()
        return response.json()["data"]

    return do


@pytest.fixture
def bearer() -> Callable[[str], APIClient]:
    def make(access_token: str) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token}")
        return client

    return make


def totp_for(device: TOTPDevice) -> pyotp.TOTP:
    secret = base64.b32encode(device.bin_key).decode()
    return pyotp.TOTP(secret, digits=device.digits, interval=device.step)


def totp_from_secret(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret)
