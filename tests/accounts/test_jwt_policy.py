"""Issue 13 hole 2: JWT configuration and acceptance.

A token forged with the `.env.example` placeholder got 200 on /users, and access tokens without
a session claim were accepted. Production now refuses weak secrets; every access token must
name its session.
"""

import os
import re
import subprocess
import sys
import warnings
from datetime import timedelta
from pathlib import Path

import jwt
import pytest
from django.conf import settings
from django.utils import timezone

from accounts.tokens import access_token_for
from intelipro.settings.secrets_policy import PLACEHOLDER_SECRETS, env_example_values
from tests.core.test_security import _PROD_OK as PRODUCTION_ENV

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
USERS = "/api/v1/users"


def _token(user, *, key: str, **extra) -> str:
    now = timezone.now()
    claims = {
        "token_type": "access",
        "sub": str(user.pk),
        "jti": "f" * 32,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=5)).timestamp()),
        "email": user.email,
        "role": "admin",
        **extra,
    }
    with warnings.catch_warnings():  # the placeholder key is short: that is the point
        warnings.simplefilter("ignore")
        return jwt.encode(claims, key, algorithm="HS256")


def test_access_token_without_session_claim_answers_401(api_client, admin_user):
    token = _token(admin_user, key=settings.SIMPLE_JWT["SIGNING_KEY"])
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    response = api_client.get(USERS)

    assert response.status_code == 401
    assert response.json()["success"] is False


def test_access_token_with_a_malformed_session_claim_answers_401(api_client, admin_user):
    token = _token(admin_user, key=settings.SIMPLE_JWT["SIGNING_KEY"], sid="not-a-uuid")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    response = api_client.get(USERS)

    assert response.status_code == 401


def test_token_forged_with_the_env_example_placeholder_answers_401(api_client, admin_user):
    placeholder = env_example_values(ROOT / ".env.example")["JWT_SECRET"]
    token = _token(admin_user, key=placeholder)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    response = api_client.get(USERS)

    assert response.status_code == 401


def test_access_token_of_a_session_is_accepted(api_client, admin_user):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token_for(admin_user)}")

    response = api_client.get(USERS)

    assert response.status_code == 200


def _import_production(**env: str | None) -> subprocess.CompletedProcess:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith("DJANGO_") and k != "JWT_SECRET"
    }
    clean.update({**PRODUCTION_ENV, **env})
    clean = {k: v for k, v in clean.items() if v is not None}  # None: variable unset
    clean["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-c", "import intelipro.settings.production"],
        env=clean,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


GOOD = "k7Qv2pX9mZr4Lw8Nc1Bd6Hs3Jt0Yf5Ge-uAoPiEqRsT"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("JWT_SECRET", "your-super-secret-jwt-key"),  # the .env.example placeholder
        ("JWT_SECRET", "short-but-random-9f8e7d"),  # under 32 characters
        ("DJANGO_SECRET_KEY", "change-me"),
        ("DJANGO_SECRET_KEY", "x" * 31),
    ],
)
def test_production_refuses_a_weak_or_placeholder_secret(variable, value):
    env = {"DJANGO_SECRET_KEY": GOOD, "JWT_SECRET": GOOD[::-1], variable: value}

    result = _import_production(**env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert variable in result.stderr


def test_production_refuses_any_env_example_value_as_a_secret(tmp_path):
    # Every value of .env.example counts as a placeholder, however long.
    long_placeholder = max(env_example_values(ROOT / ".env.example").values(), key=len)
    assert len(long_placeholder) >= 32

    result = _import_production(DJANGO_SECRET_KEY=GOOD, JWT_SECRET=long_placeholder)

    assert result.returncode != 0
    assert "JWT_SECRET" in result.stderr


def test_production_without_jwt_secret_signs_with_the_real_secret_key():
    result = _import_production(DJANGO_SECRET_KEY=GOOD, JWT_SECRET=None)

    assert result.returncode == 0, result.stderr


def test_placeholder_list_covers_every_secret_example_in_env_example():
    values = env_example_values(ROOT / ".env.example")
    secret_names = [
        name for name in values if re.search(r"(SECRET|PASSWORD|PASS|_KEY|TOKEN)$", name)
    ]

    missing = {
        name: values[name] for name in secret_names if values[name] not in PLACEHOLDER_SECRETS
    }

    assert secret_names
    assert missing == {}
