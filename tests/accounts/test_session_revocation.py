"""Issue 13 hole 11 (tokens): an MFA reset ends the user's sessions, and sessions have an
absolute maximum age that refreshing cannot extend."""

from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import UserSession
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

REFRESH = "/api/v1/auth/refresh"
ME = "/api/v1/auth/me"


def test_mfa_reset_revokes_the_users_refresh_and_access_tokens(admin_client, tokens_for, bearer):
    user = UserFactory(role="agent")
    data = tokens_for(user)

    response = admin_client.post(f"/api/v1/users/{user.pk}/reset-mfa")

    assert response.status_code == 200
    refreshed = APIClient().post(REFRESH, {"refresh_token": data["refresh_token"]}, format="json")
    assert refreshed.status_code == 401
    assert bearer(data["access_token"]).get(ME).status_code == 401
    assert UserSession.objects.get(user=user).revoked_reason == "mfa_reset"


def _claims(token: str) -> dict:
    return jwt.decode(token, settings.SIMPLE_JWT["SIGNING_KEY"], algorithms=["HS256"])


def test_refresh_near_the_maximum_age_is_cut_to_it(tokens_for):
    user = UserFactory(role="agent")
    data = tokens_for(user)
    session = UserSession.objects.get(user=user)
    signed_in = timezone.now() - timedelta(seconds=settings.JWT_SESSION_MAX_AGE - 600)
    UserSession.objects.filter(pk=session.pk).update(created_at=signed_in)

    response = APIClient().post(REFRESH, {"refresh_token": data["refresh_token"]}, format="json")

    assert response.status_code == 200
    cap = signed_in + timedelta(seconds=settings.JWT_SESSION_MAX_AGE)
    assert _claims(response.json()["data"]["refresh_token"])["exp"] <= int(cap.timestamp()) + 1
    assert UserSession.objects.get(pk=session.pk).expires_at <= cap


def test_refresh_past_the_maximum_age_answers_401(tokens_for):
    user = UserFactory(role="agent")
    data = tokens_for(user)
    # Refreshed daily for a month: the session is live, but it began longer ago than the cap.
    UserSession.objects.filter(user=user).update(
        created_at=timezone.now() - timedelta(seconds=settings.JWT_SESSION_MAX_AGE + 1)
    )

    response = APIClient().post(REFRESH, {"refresh_token": data["refresh_token"]}, format="json")

    assert response.status_code == 401


def test_maximum_age_comes_from_settings(tokens_for, settings):
    settings.JWT_SESSION_MAX_AGE = 3600

    data = tokens_for(UserFactory(role="agent"), remember_me=True)

    claims = _claims(data["refresh_token"])
    assert claims["exp"] - claims["iat"] <= 3600
