"""Change, forgotten and reset password through the real URLs; the password policy."""

import itertools
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import PasswordHistory, User
from core.models import AuditEvent
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

CHANGE = "/api/v1/auth/change-password"
FORGOT = "/api/v1/auth/forgot-password"
RESET = "/api/v1/auth/reset-password"
REFRESH = "/api/v1/auth/refresh"
NEW_PASSWORD = "Brand-New-Secret-2026"


def _token_from(mail) -> str:
    link = re.search(r"https?://\S+reset-password\?token=\S+", mail.body).group(0)
    return parse_qs(urlparse(link).query)["token"][0]


# --- change --------------------------------------------------------------------------------


def test_change_password_with_the_right_current_password(tokens_for, bearer, api_client, login):
    user = UserFactory()
    data = tokens_for(user)

    response = bearer(data["access_token"]).post(
        CHANGE, {"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD}, format="json"
    )

    assert response.status_code == 200
    assert login(api_client, user, password=NEW_PASSWORD).status_code == 200
    assert AuditEvent.objects.filter(action="auth.password_changed", actor=user).exists()


def test_change_password_signs_out_the_other_sessions_only(tokens_for, bearer, api_client):
    user = UserFactory()
    other = tokens_for(user)
    current = tokens_for(user)

    bearer(current["access_token"]).post(
        CHANGE, {"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD}, format="json"
    )

    assert (
        api_client.post(
            REFRESH, {"refresh_token": other["refresh_token"]}, format="json"
        ).status_code
        == 401
    )
    assert bearer(current["access_token"]).get("/api/v1/auth/me").status_code == 200


def test_change_password_with_a_wrong_current_password(agent_client):
    response = agent_client.post(
        CHANGE,
        {"current_password": "Wrong-password-99", "new_password": NEW_PASSWORD},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_password"


def test_change_password_accepts_old_password_as_an_alias(agent_client):
    response = agent_client.post(
        CHANGE, {"old_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD}, format="json"
    )

    assert response.status_code == 200


@pytest.mark.parametrize(
    "weak",
    [
        "Short-1a",  # under 12 characters
        "password1234",  # common
        "123456789012",  # numeric and common
    ],
)
def test_change_password_enforces_the_policy(agent_client, weak):
    response = agent_client.post(
        CHANGE, {"current_password": DEFAULT_PASSWORD, "new_password": weak}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert "new_password" in response.json()["error"]["details"]


def test_password_similar_to_the_email_is_refused(client_for):
    user = UserFactory(email="margaretthatcher@example.com")

    response = client_for(user).post(
        CHANGE,
        {"current_password": DEFAULT_PASSWORD, "new_password": "margaretthatcher"},
        format="json",
    )

    assert response.status_code == 400
    assert "new_password" in response.json()["error"]["details"]


def test_none_of_the_last_five_passwords_can_be_reused(client_for):
    user = UserFactory()
    client = client_for(user)
    passwords = [DEFAULT_PASSWORD] + [f"Rotation-Password-{n:02d}" for n in range(1, 6)]
    for current, new in itertools.pairwise(passwords):
        ok = client.post(CHANGE, {"current_password": current, "new_password": new}, format="json")
        assert ok.status_code == 200, ok.json()

    recent = client.post(
        CHANGE,
        {"current_password": passwords[-1], "new_password": passwords[2]},
        format="json",
    )
    sixth_back = client.post(
        CHANGE,
        {"current_password": passwords[-1], "new_password": passwords[0]},
        format="json",
    )

    assert recent.status_code == 400
    assert recent.json()["error"]["code"] == "validation_error"
    assert sixth_back.status_code == 200
    assert PasswordHistory.objects.filter(user=user).count() == 5


def test_the_current_password_counts_as_used(agent_client):
    response = agent_client.post(
        CHANGE,
        {"current_password": DEFAULT_PASSWORD, "new_password": DEFAULT_PASSWORD},
        format="json",
    )

    assert response.status_code == 400


# --- forgot --------------------------------------------------------------------------------


def test_forgot_password_answers_the_same_for_known_and_unknown_emails(api_client, mailoutbox):
    user = UserFactory()

    known = api_client.post(FORGOT, {"email": user.email}, format="json")
    unknown = api_client.post(FORGOT, {"email": "nobody@example.com"}, format="json")

    assert known.status_code == unknown.status_code == 200
    assert known.json() == unknown.json()
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [user.email]


def test_forgot_password_emails_a_frontend_link_and_stores_only_a_hash(
    api_client, mailoutbox, settings
):
    settings.FRONTEND_URL = "https://app.example.com"
    user = UserFactory()

    api_client.post(FORGOT, {"email": user.email.upper()}, format="json")

    mail = mailoutbox[0]
    assert "https://app.example.com/reset-password?token=" in mail.body
    token = _token_from(mail)
    user.refresh_from_db()
    assert user.password_reset_token != token
    assert len(user.password_reset_token) == 64
    assert (
        timedelta(minutes=59) < user.password_reset_expires - timezone.now() <= timedelta(hours=1)
    )
    assert mail.alternatives
    assert "reset-password?token=" in mail.alternatives[0][0]
    assert AuditEvent.objects.filter(action="auth.password_reset_requested").exists()


def test_forgot_password_sends_nothing_to_an_inactive_user(api_client, mailoutbox):
    user = UserFactory(status=User.Status.INACTIVE)

    response = api_client.post(FORGOT, {"email": user.email}, format="json")

    assert response.status_code == 200
    assert mailoutbox == []


def test_forgot_password_limits_emails_per_address(api_client, mailoutbox):
    user = UserFactory()

    for _ in range(7):
        assert api_client.post(FORGOT, {"email": user.email}, format="json").status_code == 200

    assert len(mailoutbox) == 5


# --- reset ---------------------------------------------------------------------------------


def test_reset_password_sets_the_password_and_revokes_every_session(
    api_client, mailoutbox, tokens_for, bearer, login
):
    user = UserFactory()
    sessions = [tokens_for(user), tokens_for(user, remember_me=True)]
    api_client.post(FORGOT, {"email": user.email}, format="json")

    response = api_client.post(
        RESET, {"token": _token_from(mailoutbox[0]), "password": NEW_PASSWORD}, format="json"
    )

    assert response.status_code == 200
    for data in sessions:
        refresh = APIClient().post(REFRESH, {"refresh_token": data["refresh_token"]}, format="json")
        assert refresh.status_code == 401
        assert bearer(data["access_token"]).get("/api/v1/auth/me").status_code == 401
    assert login(APIClient(), user, password=NEW_PASSWORD).status_code == 200
    assert AuditEvent.objects.filter(action="auth.password_reset_completed").exists()


def test_reset_token_works_only_once(api_client, mailoutbox):
    user = UserFactory()
    api_client.post(FORGOT, {"email": user.email}, format="json")
    token = _token_from(mailoutbox[0])
    api_client.post(RESET, {"token": token, "password": NEW_PASSWORD}, format="json")

    again = api_client.post(
        RESET, {"token": token, "password": "Another-Secret-2027"}, format="json"
    )

    assert again.status_code == 400
    assert again.json()["error"]["code"] == "invalid_token"


def test_expired_reset_token_is_refused(api_client, mailoutbox):
    user = UserFactory()
    api_client.post(FORGOT, {"email": user.email}, format="json")
    User.objects.filter(pk=user.pk).update(
        password_reset_expires=timezone.now() - timedelta(seconds=1)
    )

    response = api_client.post(
        RESET, {"token": _token_from(mailoutbox[0]), "password": NEW_PASSWORD}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_token"


def test_unknown_reset_token_is_refused(api_client):
    response = api_client.post(RESET, {"token": "nope", "password": NEW_PASSWORD}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_token"


def test_reset_enforces_the_policy_and_keeps_the_token(api_client, mailoutbox):
    user = UserFactory()
    api_client.post(FORGOT, {"email": user.email}, format="json")
    token = _token_from(mailoutbox[0])

    weak = api_client.post(RESET, {"token": token, "password": "short"}, format="json")
    strong = api_client.post(RESET, {"token": token, "password": NEW_PASSWORD}, format="json")

    assert weak.status_code == 400
    assert weak.json()["error"]["code"] == "validation_error"
    assert strong.status_code == 200


def test_a_new_request_voids_the_previous_link(api_client, mailoutbox):
    user = UserFactory()
    api_client.post(FORGOT, {"email": user.email}, format="json")
    api_client.post(FORGOT, {"email": user.email}, format="json")

    old = api_client.post(
        RESET, {"token": _token_from(mailoutbox[0]), "password": NEW_PASSWORD}, format="json"
    )
    new = api_client.post(
        RESET, {"token": _token_from(mailoutbox[1]), "password": NEW_PASSWORD}, format="json"
    )

    assert old.status_code == 400
    assert new.status_code == 200
