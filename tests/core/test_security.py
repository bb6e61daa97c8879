"""The spec's security headers, CSRF, CORS and production settings guards."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
SPEC_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "X-XSS-Protection": "1; mode=block",
    "Content-Security-Policy": "default-src 'self'; script-src 'self' 'unsafe-inline'",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def _directives(policy: str) -> dict[str, list[str]]:
    """A CSP policy as {directive: sources}. Directive order carries no meaning in CSP, and
    django-csp 4.0 writes directives in set order (it varies between processes); the sources
    of each directive keep their order."""
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


@pytest.mark.parametrize("url", ["/health", "/api/v1/nowhere", "/admin/login/"])
def test_spec_security_headers_on_api_and_admin_responses(client, url):
    response = client.get(url)

    for header, value in SPEC_HEADERS.items():
        if header == "Content-Security-Policy":
            assert _directives(response[header]) == _directives(value), response[header]
        else:
            assert response[header] == value, header


def test_csp_policy_comes_from_the_environment_in_header_syntax():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        PYTHONPATH=str(ROOT),
        DJANGO_SETTINGS_MODULE="intelipro.settings.test",
        CONTENT_SECURITY_POLICY="default-src 'self'; img-src 'self' data:; upgrade-insecure-requests",
    )
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']))"
    )

    result = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )

    assert json.loads(result.stdout) == {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "upgrade-insecure-requests": True,
    }


def test_no_hsts_outside_production_settings(client):
    response = client.get("/health")

    assert "Strict-Transport-Security" not in response


def test_hsts_in_production_behind_tls(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True

    response = client.get("/health", secure=True)

    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_admin_login_requires_csrf_token(admin_user):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)

    response = csrf_client.post(
        "/admin/login/", {"username": admin_user.email, "password": "Correct-Horse-Battery-42"}
    )

    assert response.status_code == 403


def test_admin_is_branded(client):
    response = client.get("/admin/login/")

    assert "Intelipro Operations" in response.content.decode()


def test_cors_allows_only_listed_origins(client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]

    allowed = client.get("/health", HTTP_ORIGIN="https://app.example.com")
    denied = client.get("/health", HTTP_ORIGIN="https://evil.example.com")

    assert allowed["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert "Access-Control-Allow-Origin" not in denied


def _import_production(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    clean.update(env)
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


def test_production_refuses_to_start_without_secret_key():
    result = _import_production(DJANGO_ALLOWED_HOSTS="api.example.com")

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_a_default_secret_key():
    result = _import_production(
        DJANGO_SECRET_KEY="insecure-dev-key-change-me-0123456789abcdef",
        DJANGO_ALLOWED_HOSTS="api.example.com",
    )

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr


def test_production_refuses_debug_true():
    result = _import_production(
        DJANGO_SECRET_KEY="x" * 50, DJANGO_ALLOWED_HOSTS="api.example.com", DJANGO_DEBUG="true"
    )

    assert result.returncode != 0
    assert "DJANGO_DEBUG" in result.stderr


# A real-looking Fernet key (base64 of 32 bytes) that is not one of the FAKE dev/test keys.
_PROD_FIELD_KEY = "cHJvZC1maWVsZC1rZXktZm9yLXRlc3RzLTAwMDAwMDA="
_PROD_OK = {
    "DJANGO_SECRET_KEY": "k" * 50,
    "JWT_SECRET": "j" * 50,
    "DJANGO_ALLOWED_HOSTS": "api.example.com",
    "FIELD_ENCRYPTION_KEYS": _PROD_FIELD_KEY,
    "FIELD_HASH_KEY": "h" * 40,
}


def test_production_starts_with_proper_values():
    result = _import_production(**_PROD_OK)

    assert result.returncode == 0, result.stderr


def test_production_refuses_to_start_without_field_encryption_keys():
    result = _import_production(**{**_PROD_OK, "FIELD_ENCRYPTION_KEYS": ""})

    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS" in result.stderr


def test_production_refuses_the_fake_dev_field_encryption_key():
    result = _import_production(
        **{**_PROD_OK, "FIELD_ENCRYPTION_KEYS": "RkFLRS1kZXYtb25seS1maWVsZC1rZXktMDAwMDAwMDA="}
    )

    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS" in result.stderr


def test_production_refuses_a_field_encryption_key_that_is_not_fernet():
    result = _import_production(**{**_PROD_OK, "FIELD_ENCRYPTION_KEYS": "not-a-key"})

    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS" in result.stderr


def test_production_refuses_a_short_field_hash_key():
    result = _import_production(**{**_PROD_OK, "FIELD_HASH_KEY": "short"})

    assert result.returncode != 0
    assert "FIELD_HASH_KEY" in result.stderr
