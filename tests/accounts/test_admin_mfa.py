"""Issue 13 hole 5: the admin console requires a verified OTP for every superuser and every
staff user whose role requires MFA; those without a device are sent to enrolment. The admin
role requires MFA by default in production (ADMIN_ROLE_MFA_REQUIRED)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pyotp
import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Role
from core.models import AuditEvent
from tests.accounts.conftest import totp_for
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.core.test_security import _PROD_OK

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
LOGIN = "/admin/login/"
ENROL = "/admin/mfa/enrol/"


def _post_login(client, user, **extra):
    return client.post(
        LOGIN, {"username": user.email, "password": DEFAULT_PASSWORD, "next": "/admin/", **extra}
    )


def _secret_on(page) -> str:
    return re.search(r"<code>([A-Z2-7]{16,})</code>", page.content.decode()).group(1)


def test_superuser_without_a_device_is_sent_to_enrolment_not_the_console(client):
    superuser = UserFactory(role="admin", is_staff=True, is_superuser=True)

    response = _post_login(client, superuser)

    assert response.status_code == 302
    assert response["Location"] == ENROL
    assert client.get("/admin/").status_code == 302
    assert client.get("/admin/accounts/user/").status_code == 302
    assert client.get(LOGIN)["Location"] == ENROL


def test_staff_whose_role_requires_mfa_is_sent_to_enrolment(client):
    Role.objects.filter(name="manager").update(mfa_required=True)
    manager = UserFactory(role="manager", is_staff=True)

    response = _post_login(client, manager)

    assert response["Location"] == ENROL
    assert client.get("/admin/").status_code == 302


def test_enrolment_with_a_real_code_opens_the_console_and_shows_backup_codes(client):
    superuser = UserFactory(role="admin", is_staff=True, is_superuser=True)
    _post_login(client, superuser)
    page = client.get(ENROL)
    secret = _secret_on(page)

    response = client.post(ENROL, {"code": pyotp.TOTP(secret).now()})

    assert response.status_code == 200
    assert len(re.findall(r"<li><code>", response.content.decode())) == 10
    assert client.get("/admin/").status_code == 200
    superuser.refresh_from_db()
    assert superuser.mfa_enabled is True
    assert AuditEvent.objects.filter(action="auth.mfa_enabled", object_id=str(superuser.pk))


def test_a_wrong_enrolment_code_keeps_the_same_pending_authenticator(client):
    superuser = UserFactory(role="admin", is_staff=True, is_superuser=True)
    _post_login(client, superuser)
    secret = _secret_on(client.get(ENROL))

    wrong = client.post(ENROL, {"code": "000000"})
    right = client.post(ENROL, {"code": pyotp.TOTP(secret).now()})

    assert _secret_on(wrong) == secret
    assert right.status_code == 200
    assert client.get("/admin/").status_code == 200


def test_enrolment_page_needs_a_signed_in_staff_user(client):
    response = client.get(ENROL)

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_superuser_with_a_device_needs_the_code_even_after_a_password_session(client):
    superuser = UserFactory(role="admin", is_staff=True, is_superuser=True)
    TOTPDevice.objects.create(user=superuser, name="phone", confirmed=True)
    client.force_login(superuser)  # a password-only session

    assert client.get("/admin/").status_code == 302
    assert client.get(ENROL).status_code == 302  # not enrolment: they have a device


def test_superuser_with_a_code_gets_the_console(client):
    superuser = UserFactory(role="admin", is_staff=True, is_superuser=True)
    device = TOTPDevice.objects.create(user=superuser, name="phone", confirmed=True)

    response = _post_login(client, superuser, otp_token=totp_for(device).now())

    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_admin_role_requires_mfa_when_the_switch_is_on(client, settings):
    settings.ADMIN_ROLE_MFA_REQUIRED = True
    admin_role_staff = UserFactory(role="admin", is_staff=True, is_superuser=False)

    response = _post_login(client, admin_role_staff)

    assert response["Location"] == ENROL
    assert client.get("/admin/").status_code == 302


def test_admin_role_without_the_switch_signs_in_with_a_password(client, settings):
    settings.ADMIN_ROLE_MFA_REQUIRED = False
    admin_role_staff = UserFactory(role="admin", is_staff=True, is_superuser=False)

    _post_login(client, admin_role_staff)

    assert client.get("/admin/").status_code == 200


def test_api_login_of_the_admin_role_asks_for_enrolment_when_the_switch_is_on(
    api_client, login, settings
):
    settings.ADMIN_ROLE_MFA_REQUIRED = True
    user = UserFactory(role="admin")

    data = login(api_client, user).json()["data"]

    assert data["mfa_required"] is True
    assert data["mfa_setup_required"] is True


def _production_value(**env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    clean.pop("ADMIN_ROLE_MFA_REQUIRED", None)
    clean.update({**_PROD_OK, **env, "PYTHONPATH": str(ROOT)})
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import intelipro.settings.production as p; print(p.ADMIN_ROLE_MFA_REQUIRED)",
        ],
        env=clean,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip()


def test_production_requires_mfa_for_the_admin_role_by_default():
    assert _production_value() == "True"


def test_production_switch_turns_the_admin_mfa_requirement_off():
    assert _production_value(ADMIN_ROLE_MFA_REQUIRED="false") == "False"
