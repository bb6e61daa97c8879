"""Sign-in, tokens, logout, profile and sessions through the real /api/v1/auth/ URLs."""

from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User, UserSession
from core.models import AuditEvent
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/auth/me"
SESSIONS = "/api/v1/auth/sessions"


def _claims(token: str) -> dict:
    return jwt.decode(token, settings.SIMPLE_JWT["SIGNING_KEY"], algorithms=["HS256"])


# --- login ---------------------------------------------------------------------------------


def test_login_returns_the_spec_shape(api_client, login):
    user = UserFactory(role="manager", first_name="John", last_name="Doe")

    response = login(api_client, user)

    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    data = body["data"]
    assert set(data) == {"access_token", "refresh_token", "expires_in", "user"}
    assert data["expires_in"] == 3600
    assert data["user"] == {
        "id": user.pk,
        "email": user.email,
        "first_name": "John",
        "last_name": "Doe",
        "role": "manager",
        "permissions": [
            "dashboard",
            "upload",
            "cases",
            "emails",
            "campaigns",
            "analytics",
            "ai",
            "messaging",
        ],
    }


def test_access_token_carries_the_spec_claims(api_client, login):
    user = UserFactory(role="agent")

    data = login(api_client, user).json()["data"]

    claims = _claims(data["access_token"])
    assert claims["sub"] == str(user.pk)
    assert claims["email"] == user.email
    assert claims["role"] == "agent"
    assert claims["permissions"] == ["dashboard", "cases", "emails", "ai", "messaging"]
    assert claims["exp"] - claims["iat"] == 3600


def test_login_accepts_the_path_with_a_trailing_slash(api_client, login):
    user = UserFactory()

    response = api_client.post(
        LOGIN + "/", {"email": user.email, "password": DEFAULT_PASSWORD}, format="json"
    )

    assert response.status_code == 200


def test_login_email_is_case_insensitive(api_client, login):
    user = UserFactory(email="mixed@example.com")

    response = login(api_client, "MIXED@Example.com")

    assert response.status_code == 200
    assert response.json()["data"]["user"]["id"] == user.pk


def test_remember_me_lengthens_the_refresh_token(api_client, login):
    user = UserFactory()

    short = _claims(login(api_client, user).json()["data"]["refresh_token"])
    long = _claims(login(api_client, user, remember_me=True).json()["data"]["refresh_token"])

    assert short["exp"] - short["iat"] == 86400
    assert long["exp"] - long["iat"] == 30 * 86400


def test_login_records_last_login_and_audits(api_client, login):
    user = UserFactory()

    login(api_client, user, HTTP_USER_AGENT="pytest-agent")

    user.refresh_from_db()
    assert user.last_login is not None
    event = AuditEvent.objects.get(action="auth.login_success")
    assert event.actor == user
    assert event.request_id


def test_wrong_password_answers_401_invalid_credentials(api_client, login):
    user = UserFactory()

    response = login(api_client, user, password="Wrong-password-123")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_credentials"


def test_unknown_email_answers_exactly_like_a_wrong_password(api_client, login):
    user = UserFactory()

    wrong = login(api_client, user, password="Wrong-password-123").json()
    unknown = login(APIClient(), "nobody@example.com", password="Wrong-password-123").json()

    assert wrong == unknown


def test_failed_login_is_audited_with_the_attempted_email(api_client, login):
    login(api_client, "ghost@example.com", password="Wrong-password-123")

    event = AuditEvent.objects.get(action="auth.login_failed")
    assert event.actor is None
    assert event.changes["email"] == "ghost@example.com"
    assert event.ip_address == "127.0.0.1"


@pytest.mark.parametrize(
    ("status", "code"),
    [(User.Status.INACTIVE, "account_inactive"), (User.Status.LOCKED, "account_locked")],
)
def test_inactive_or_locked_user_cannot_log_in(api_client, login, status, code):
    user = UserFactory(status=status)

    response = login(api_client, user)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == code


def test_login_with_missing_fields_is_a_validation_error(api_client):
    response = api_client.post(LOGIN, {"email": "a@example.com"}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert "password" in response.json()["error"]["details"]


def test_a_stale_bearer_header_does_not_block_login(login):
    user = UserFactory()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

    response = login(client, user)

    assert response.status_code == 200


# --- throttling ----------------------------------------------------------------------------


def test_sixth_failed_login_answers_429_with_retry_after(api_client, login):
    user = UserFactory()
    for _ in range(5):
        assert login(api_client, user, password="Wrong-password-123").status_code == 401

    response = login(api_client, user, password="Wrong-password-123")

    assert response.status_code == 429
    assert response.json()["error"]["code"] == "throttled"
    assert 1 <= int(response["Retry-After"]) <= 900


def test_account_limit_holds_even_with_the_right_password(api_client, login):
    user = UserFactory()
    for n in range(5):
        login(APIClient(), user, password="Wrong-password-123", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")

    response = login(api_client, user, HTTP_X_FORWARDED_FOR="10.0.1.1")

    assert response.status_code == 429


def test_ip_limit_counts_failures_across_accounts(api_client, login):
    for n in range(5):
        login(api_client, f"nobody{n}@example.com", password="Wrong-password-123")
    user = UserFactory()

    response = login(api_client, user)

    assert response.status_code == 429


def test_successful_logins_do_not_use_up_the_allowance(api_client, login):
    user = UserFactory()
    for _ in range(8):
        assert login(api_client, user).status_code == 200

    response = login(api_client, user)

    assert response.status_code == 200


def test_success_clears_the_accounts_failures(api_client, login):
    user = UserFactory()
    for _ in range(4):
        login(api_client, user, password="Wrong-password-123", HTTP_X_FORWARDED_FOR="10.0.0.1")
    assert login(api_client, user, HTTP_X_FORWARDED_FOR="10.0.0.2").status_code == 200
    for _ in range(4):
        login(api_client, user, password="Wrong-password-123", HTTP_X_FORWARDED_FOR="10.0.0.3")

    response = login(api_client, user, HTTP_X_FORWARDED_FOR="10.0.0.4")

    assert response.status_code == 200


def test_lockout_is_audited_once(api_client, login):
    user = UserFactory()
    for _ in range(8):
        login(api_client, user, password="Wrong-password-123", HTTP_X_FORWARDED_FOR="10.9.9.9")

    events = AuditEvent.objects.filter(action="auth.lockout")
    assert {e.changes["scope"] for e in events} == {"account", "ip"}
    assert events.count() == 2
    assert events.filter(object_id=str(user.pk)).exists()


# --- refresh and logout --------------------------------------------------------------------


def test_refresh_rotates_and_returns_new_tokens(api_client, tokens_for):
    user = UserFactory()
    first = tokens_for(user)

    response = api_client.post(REFRESH, {"refresh_token": first["refresh_token"]}, format="json")

    assert response.status_code == 200
    data = response.json()["data"]
    assert data["refresh_token"] != first["refresh_token"]
    assert data["expires_in"] == 3600
    assert data["user"]["id"] == user.pk
    assert _claims(data["access_token"])["sid"] == _claims(first["access_token"])["sid"]


def test_refresh_keeps_the_remember_me_lifetime(api_client, tokens_for):
    user = UserFactory()
    first = tokens_for(user, remember_me=True)

    data = api_client.post(
        REFRESH, {"refresh_token": first["refresh_token"]}, format="json"
    ).json()["data"]

    claims = _claims(data["refresh_token"])
    # 30 days, but never past the session's absolute cap (JWT_SESSION_MAX_AGE, 30 days)
    assert 29 * 86400 < claims["exp"] - claims["iat"] <= 30 * 86400
    assert claims["exp"] <= _claims(first["refresh_token"])["exp"]


def test_reused_refresh_token_is_refused_audited_and_ends_the_session(api_client, tokens_for):
    user = UserFactory()
    first = tokens_for(user)
    second = api_client.post(
        REFRESH, {"refresh_token": first["refresh_token"]}, format="json"
    ).json()["data"]

    reuse = api_client.post(REFRESH, {"refresh_token": first["refresh_token"]}, format="json")

    assert reuse.status_code == 401
    assert reuse.json()["error"]["code"] == "token_not_valid"
    event = AuditEvent.objects.get(action="auth.refresh_reuse")
    assert event.object_id == str(user.pk)
    assert event.changes["session_revoked"] is True
    # The thief's (or owner's) newer token dies with the family.
    after = api_client.post(REFRESH, {"refresh_token": second["refresh_token"]}, format="json")
    assert after.status_code == 401
    assert UserSession.objects.get(user=user).revoked_reason == "reuse_detected"


def test_logout_then_refresh_answers_401(api_client, tokens_for, bearer):
    user = UserFactory()
    data = tokens_for(user)

    logout = bearer(data["access_token"]).post(
        LOGOUT, {"refresh_token": data["refresh_token"]}, format="json"
    )
    response = api_client.post(REFRESH, {"refresh_token": data["refresh_token"]}, format="json")

    assert logout.status_code == 200
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_not_valid"
    assert AuditEvent.objects.filter(action="auth.logout", actor=user).exists()
    assert AuditEvent.objects.filter(action="auth.refresh_reuse").exists()


def test_logout_blacklists_the_refresh_token(tokens_for, bearer):
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

    data = tokens_for(UserFactory())

    bearer(data["access_token"]).post(
        LOGOUT, {"refresh_token": data["refresh_token"]}, format="json"
    )

    assert BlacklistedToken.objects.filter(
        token__jti=_claims(data["refresh_token"])["jti"]
    ).exists()


def test_logout_without_a_token_ends_the_current_session(tokens_for, bearer):
    data = tokens_for(UserFactory())
    client = bearer(data["access_token"])

    assert client.post(LOGOUT, {}, format="json").status_code == 200

    assert client.get(ME).status_code == 401


def test_logout_needs_a_token_or_a_bearer(api_client):
    response = api_client.post(LOGOUT, {}, format="json")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_logout_ignores_another_users_refresh_token(tokens_for, bearer, api_client):
    mine = tokens_for(UserFactory())
    theirs = tokens_for(UserFactory())

    bearer(mine["access_token"]).post(
        LOGOUT, {"refresh_token": theirs["refresh_token"]}, format="json"
    )

    response = api_client.post(REFRESH, {"refresh_token": theirs["refresh_token"]}, format="json")
    assert response.status_code == 200


@pytest.mark.parametrize("token", ["garbage", ""])
def test_refresh_with_a_malformed_token_answers_4xx(api_client, token):
    response = api_client.post(REFRESH, {"refresh_token": token}, format="json")

    assert response.status_code in (400, 401)


def test_refresh_with_an_access_token_is_refused(api_client, tokens_for):
    data = tokens_for(UserFactory())

    response = api_client.post(REFRESH, {"refresh_token": data["access_token"]}, format="json")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_not_valid"


def test_refresh_after_expiry_is_refused(api_client, tokens_for, settings):
    from rest_framework_simplejwt.tokens import RefreshToken

    token = RefreshToken()
    token.set_exp(from_time=timezone.now() - timedelta(days=2), lifetime=timedelta(days=1))

    response = api_client.post(REFRESH, {"refresh_token": str(token)}, format="json")

    assert response.status_code == 401


@pytest.mark.parametrize("status", [User.Status.INACTIVE, User.Status.LOCKED])
def test_inactive_or_locked_user_cannot_refresh(api_client, tokens_for, status):
    user = UserFactory()
    data = tokens_for(user)
    User.objects.filter(pk=user.pk).update(status=status)

    response = api_client.post(REFRESH, {"refresh_token": data["refresh_token"]}, format="json")

    assert response.status_code == 401
    assert response.json()["error"]["code"] in ("account_inactive", "account_locked")


def test_access_token_of_an_inactive_user_is_refused(tokens_for, bearer):
    user = UserFactory()
    data = tokens_for(user)
    User.objects.filter(pk=user.pk).update(status=User.Status.INACTIVE)

    response = bearer(data["access_token"]).get(ME)

    assert response.status_code == 401


# --- me ------------------------------------------------------------------------------------


def test_me_returns_the_caller(agent_client, agent_user):
    response = agent_client.get(ME)

    assert response.status_code == 200
    data = response.json()["data"]
    assert data["id"] == agent_user.pk
    assert data["role"] == "agent"
    assert data["permissions"] == ["dashboard", "cases", "emails", "ai", "messaging"]
    assert data["mfa_enabled"] is False


def test_me_requires_authentication(api_client):
    response = api_client.get(ME)

    assert response.status_code == 401


def test_put_me_updates_own_names_phone_and_avatar(agent_client, agent_user):
    response = agent_client.put(
        ME,
        {
            "first_name": "Ann",
            "last_name": "Lee",
            "phone": "+15550100",
            "avatar_url": "https://cdn.example.com/a.png",
        },
        format="json",
    )

    assert response.status_code == 200
    agent_user.refresh_from_db()
    assert (agent_user.first_name, agent_user.last_name) == ("Ann", "Lee")
    assert agent_user.phone == "+15550100"
    assert agent_user.avatar_url == "https://cdn.example.com/a.png"
    assert AuditEvent.objects.filter(action="user.profile_updated").exists()


def test_put_me_cannot_change_role_or_email(agent_client, agent_user):
    agent_client.put(ME, {"role": "admin", "email": "x@example.com"}, format="json")

    agent_user.refresh_from_db()
    assert agent_user.role.name == "agent"
    assert agent_user.email != "x@example.com"


def test_put_me_rejects_a_bad_avatar_url(agent_client):
    response = agent_client.put(ME, {"avatar_url": "not a url"}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


# --- sessions ------------------------------------------------------------------------------


def test_sessions_lists_live_sessions_with_metadata(tokens_for, bearer):
    user = UserFactory()
    tokens_for(user, HTTP_USER_AGENT="Phone/1.0")
    current = tokens_for(user, HTTP_USER_AGENT="Laptop/2.0")

    response = bearer(current["access_token"]).get(SESSIONS)

    assert response.status_code == 200
    sessions = response.json()["data"]
    assert len(sessions) == 2
    assert {s["user_agent"] for s in sessions} == {"Phone/1.0", "Laptop/2.0"}
    assert all(s["ip_address"] == "127.0.0.1" for s in sessions)
    assert all({"created_at", "last_used_at", "expires_at"} <= set(s) for s in sessions)
    assert [s["user_agent"] for s in sessions if s["current"]] == ["Laptop/2.0"]


def test_delete_session_revokes_its_refresh_and_access_tokens(tokens_for, bearer, api_client):
    user = UserFactory()
    phone = tokens_for(user)
    laptop = tokens_for(user)
    sid = _claims(phone["access_token"])["sid"]

    response = bearer(laptop["access_token"]).delete(f"{SESSIONS}/{sid}")

    assert response.status_code == 204
    assert (
        api_client.post(
            REFRESH, {"refresh_token": phone["refresh_token"]}, format="json"
        ).status_code
        == 401
    )
    assert bearer(phone["access_token"]).get(ME).status_code == 401
    assert bearer(laptop["access_token"]).get(ME).status_code == 200
    assert AuditEvent.objects.filter(action="auth.session_revoked").exists()


def test_another_users_session_answers_404(tokens_for, bearer):
    mine = tokens_for(UserFactory())
    theirs = tokens_for(UserFactory())
    sid = _claims(theirs["access_token"])["sid"]

    response = bearer(mine["access_token"]).delete(f"{SESSIONS}/{sid}/")

    assert response.status_code == 404
    assert bearer(theirs["access_token"]).get(ME).status_code == 200


def test_sessions_url_reverses(agent_client):
    response = agent_client.get(reverse("api:accounts:session-list"))

    assert response.status_code == 200
    assert [s["current"] for s in response.json()["data"]] == [True]  # the client's own
