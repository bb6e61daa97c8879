"""MFA end to end: enrol, sign in with a real TOTP code or a backup code, disable, reset."""

import base64

import pytest
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Role, User
from core.models import AuditEvent
from tests.accounts.conftest import totp_for, totp_from_secret
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

SETUP = "/api/v1/auth/mfa/setup"
VERIFY = "/api/v1/auth/mfa/verify"
DISABLE = "/api/v1/auth/mfa/disable"
MFA_LOGIN = "/api/v1/auth/mfa/login"


def _enrol(client) -> tuple[str, list[str]]:
    secret = client.post(SETUP, {}, format="json").json()["data"]["secret"]
    data = client.post(VERIFY, {"code": totp_from_secret(secret).now()}, format="json").json()[
        "data"
    ]
    return secret, data["backup_codes"]


@pytest.fixture
def mfa_user(client_for):
    user = UserFactory(role="manager")
    secret, codes = _enrol(client_for(user))
    user.refresh_from_db()
    return user, secret, codes


def test_setup_returns_an_otpauth_uri_and_a_qr_code(agent_client, agent_user):
    response = agent_client.post(SETUP, {}, format="json")

    assert response.status_code == 200
    data = response.json()["data"]
    assert data["otpauth_url"].startswith("otpauth://totp/Intelipro")
    assert f"secret={data['secret']}" in data["otpauth_url"]
    assert data["qr_code"].startswith("data:image/svg+xml;base64,")
    assert b"<svg" in base64.b64decode(data["qr_code"].split(",", 1)[1])
    assert TOTPDevice.objects.get(user=agent_user).confirmed is False


def test_setup_requires_authentication(api_client):
    response = api_client.post(SETUP, {}, format="json")

    assert response.status_code == 401


def test_verify_with_a_real_totp_code_enables_mfa_and_returns_ten_backup_codes(
    agent_client, agent_user
):
    secret = agent_client.post(SETUP, {}, format="json").json()["data"]["secret"]

    response = agent_client.post(VERIFY, {"code": totp_from_secret(secret).now()}, format="json")

    assert response.status_code == 200
    data = response.json()["data"]
    assert data["mfa_enabled"] is True
    assert len(data["backup_codes"]) == 10
    assert len(set(data["backup_codes"])) == 10
    agent_user.refresh_from_db()
    assert agent_user.mfa_enabled is True
    assert AuditEvent.objects.filter(action="auth.mfa_enabled", actor=agent_user).exists()


def test_verify_with_a_wrong_code_is_refused(agent_client, agent_user):
    agent_client.post(SETUP, {}, format="json")

    response = agent_client.post(VERIFY, {"code": "000000"}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_mfa_code"
    agent_user.refresh_from_db()
    assert agent_user.mfa_enabled is False


def test_verify_without_setup_is_a_conflict(agent_client):
    response = agent_client.post(VERIFY, {"code": "123456"}, format="json")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "mfa_setup_required"


def test_setup_when_already_enabled_is_a_conflict(client_for, mfa_user):
    user, _secret, _codes = mfa_user

    response = client_for(user).post(SETUP, {}, format="json")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "mfa_already_enabled"


def test_login_with_mfa_asks_for_the_second_factor(api_client, login, mfa_user):
    user, _secret, _codes = mfa_user

    response = login(api_client, user)

    assert response.status_code == 200
    data = response.json()["data"]
    assert data["mfa_required"] is True
    assert data["mfa_token"]
    assert "access_token" not in data


def test_mfa_login_with_a_real_totp_code_returns_tokens(api_client, login, mfa_user, bearer):
    user, secret, _codes = mfa_user
    mfa_token = login(api_client, user).json()["data"]["mfa_token"]

    response = api_client.post(
        MFA_LOGIN, {"mfa_token": mfa_token, "code": totp_from_secret(secret).now()}, format="json"
    )

    assert response.status_code == 200
    data = response.json()["data"]
    assert set(data) == {"access_token", "refresh_token", "expires_in", "user"}
    assert bearer(data["access_token"]).get("/api/v1/auth/me").status_code == 200
    assert AuditEvent.objects.filter(action="auth.mfa_used", actor=user).exists()


def test_mfa_login_with_a_backup_code_works_once(api_client, login, mfa_user):
    user, _secret, codes = mfa_user
    first = login(api_client, user).json()["data"]["mfa_token"]
    second = login(api_client, user).json()["data"]["mfa_token"]

    ok = api_client.post(MFA_LOGIN, {"mfa_token": first, "code": codes[0]}, format="json")
    again = api_client.post(MFA_LOGIN, {"mfa_token": second, "code": codes[0]}, format="json")

    assert ok.status_code == 200
    assert again.status_code == 401
    assert again.json()["error"]["code"] == "invalid_mfa_code"
    assert StaticToken.objects.filter(device__user=user).count() == 9


def test_mfa_login_with_a_wrong_code_is_401(api_client, login, mfa_user):
    user, _secret, _codes = mfa_user
    mfa_token = login(api_client, user).json()["data"]["mfa_token"]

    response = api_client.post(MFA_LOGIN, {"mfa_token": mfa_token, "code": "000000"}, format="json")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_mfa_code"
    assert AuditEvent.objects.filter(action="auth.mfa_failed").exists()


def test_mfa_token_is_single_use(api_client, login, mfa_user):
    user, _secret, codes = mfa_user
    mfa_token = login(api_client, user).json()["data"]["mfa_token"]
    api_client.post(MFA_LOGIN, {"mfa_token": mfa_token, "code": codes[0]}, format="json")

    response = api_client.post(MFA_LOGIN, {"mfa_token": mfa_token, "code": codes[1]}, format="json")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_mfa_token"


@pytest.mark.parametrize("token", ["forged", ""])
def test_mfa_login_with_a_bad_token_is_refused(api_client, token):
    response = api_client.post(MFA_LOGIN, {"mfa_token": token, "code": "123456"}, format="json")

    assert response.status_code in (400, 401)


def test_mfa_token_is_not_a_bearer_token(api_client, login, mfa_user, bearer):
    user, _secret, _codes = mfa_user
    mfa_token = login(api_client, user).json()["data"]["mfa_token"]

    response = bearer(mfa_token).get("/api/v1/auth/me")

    assert response.status_code == 401


def test_mfa_token_expires(api_client, login, mfa_user, settings):
    user, secret, _codes = mfa_user
    mfa_token = login(api_client, user).json()["data"]["mfa_token"]
    settings.MFA_TOKEN_LIFETIME = -1

    response = api_client.post(
        MFA_LOGIN, {"mfa_token": mfa_token, "code": totp_from_secret(secret).now()}, format="json"
    )

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_mfa_token"


def test_failed_mfa_codes_count_towards_the_login_limit(api_client, login, mfa_user):
    user, _secret, _codes = mfa_user
    mfa_token = login(api_client, user).json()["data"]["mfa_token"]
    for _ in range(5):
        api_client.post(MFA_LOGIN, {"mfa_token": mfa_token, "code": "zzzzzzzz"}, format="json")

    response = api_client.post(
        MFA_LOGIN, {"mfa_token": mfa_token, "code": "zzzzzzzz"}, format="json"
    )

    assert response.status_code == 429
    assert response.has_header("Retry-After")


def test_disable_needs_password_and_code(client_for, mfa_user):
    user, secret, _codes = mfa_user
    client = client_for(user)

    wrong_password = client.post(
        DISABLE,
        {"password": "Not-the-password-1", "code": totp_from_secret(secret).now()},
        format="json",
    )
    wrong_code = client.post(
        DISABLE, {"password": DEFAULT_PASSWORD, "code": "000000"}, format="json"
    )

    assert wrong_password.status_code == 400
    assert wrong_password.json()["error"]["code"] == "invalid_password"
    assert wrong_code.status_code == 400
    assert wrong_code.json()["error"]["code"] == "invalid_mfa_code"
    user.refresh_from_db()
    assert user.mfa_enabled is True


def test_disable_with_password_and_totp_turns_mfa_off(client_for, mfa_user, api_client, login):
    user, secret, _codes = mfa_user

    response = client_for(user).post(
        DISABLE,
        {"password": DEFAULT_PASSWORD, "code": totp_from_secret(secret).now()},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["data"] == {"mfa_enabled": False}
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert "access_token" in login(api_client, user).json()["data"]
    assert AuditEvent.objects.filter(action="auth.mfa_disabled").exists()


def test_disable_with_a_backup_code(client_for, mfa_user):
    user, _secret, codes = mfa_user

    response = client_for(user).post(
        DISABLE, {"password": DEFAULT_PASSWORD, "code": codes[3]}, format="json"
    )

    assert response.status_code == 200


def test_disable_is_refused_when_the_role_requires_mfa(client_for, mfa_user):
    user, secret, _codes = mfa_user
    Role.objects.filter(name="manager").update(mfa_required=True)

    response = client_for(user).post(
        DISABLE,
        {"password": DEFAULT_PASSWORD, "code": totp_from_secret(secret).now()},
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "mfa_required_by_role"


def test_disable_without_mfa_is_a_conflict(agent_client):
    response = agent_client.post(
        DISABLE, {"password": DEFAULT_PASSWORD, "code": "123456"}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "mfa_not_enabled"


def test_role_requiring_mfa_makes_login_ask_for_enrolment(api_client, login, bearer):
    Role.objects.filter(name="agent").update(mfa_required=True)
    user = UserFactory(role="agent")

    data = login(api_client, user).json()["data"]
    assert data == {
        "mfa_required": True,
        "mfa_setup_required": True,
        "mfa_token": data["mfa_token"],
        "expires_in": 300,
    }
    setup = api_client.post(SETUP, {"mfa_token": data["mfa_token"]}, format="json")
    secret = setup.json()["data"]["secret"]
    done = api_client.post(
        VERIFY,
        {"mfa_token": data["mfa_token"], "code": totp_from_secret(secret).now()},
        format="json",
    )

    assert setup.status_code == 200
    assert done.status_code == 200
    body = done.json()["data"]
    assert len(body["backup_codes"]) == 10
    assert bearer(body["access_token"]).get("/api/v1/auth/me").json()["data"]["mfa_enabled"]


def test_enrolment_token_cannot_complete_a_normal_mfa_login(api_client, login):
    Role.objects.filter(name="agent").update(mfa_required=True)
    user = UserFactory(role="agent")
    mfa_token = login(api_client, user).json()["data"]["mfa_token"]

    response = api_client.post(MFA_LOGIN, {"mfa_token": mfa_token, "code": "123456"}, format="json")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_mfa_token"


def test_admin_resets_a_users_mfa(admin_client, mfa_user, api_client, login):
    user, _secret, _codes = mfa_user

    response = admin_client.post(f"/api/v1/users/{user.pk}/reset-mfa")

    assert response.status_code == 200
    assert response.json()["data"]["mfa_enabled"] is False
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert "access_token" in login(api_client, user).json()["data"]
    assert AuditEvent.objects.filter(action="auth.mfa_reset", object_id=str(user.pk)).exists()


def test_non_admin_cannot_reset_mfa(manager_client, mfa_user):
    user, _secret, _codes = mfa_user

    response = manager_client.post(f"/api/v1/users/{user.pk}/reset-mfa")

    assert response.status_code == 403
    assert User.objects.get(pk=user.pk).mfa_enabled is True


def test_totp_helper_matches_the_device(agent_client, agent_user):
    agent_client.post(SETUP, {}, format="json")
    device = TOTPDevice.objects.get(user=agent_user)

    response = agent_client.post(VERIFY, {"code": totp_for(device).now()}, format="json")

    assert response.status_code == 200


def test_right_code_right_after_a_wrong_one_signs_in(api_client, login, mfa_user):
    user, secret, _codes = mfa_user
    mfa_token = login(api_client, user).json()["data"]["mfa_token"]
    wrong = api_client.post(MFA_LOGIN, {"mfa_token": mfa_token, "code": "000000"}, format="json")

    right = api_client.post(
        MFA_LOGIN, {"mfa_token": mfa_token, "code": totp_from_secret(secret).now()}, format="json"
    )

    assert wrong.status_code == 401
    assert right.status_code == 200


def test_wrong_codes_when_disabling_mfa_are_rate_limited(client_for, mfa_user):
    user, _secret, _codes = mfa_user
    client = client_for(user)
    for _ in range(5):
        client.post(
            "/api/v1/auth/mfa/disable",
            {"password": DEFAULT_PASSWORD, "code": "000000"},
            format="json",
        )

    response = client.post(
        "/api/v1/auth/mfa/disable", {"password": DEFAULT_PASSWORD, "code": "000000"}, format="json"
    )

    assert response.status_code == 429
    assert response.has_header("Retry-After")
