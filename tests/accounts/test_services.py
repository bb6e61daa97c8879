"""Services and commands without HTTP: createsuperuser, pruning, history, tokens."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts.models import PasswordHistory, User, UserSession
from accounts.services import session_create, sessions_revoke_all
from accounts.services.sessions import sessions_prune
from accounts.tasks import sessions_prune_task
from accounts.tokens import refresh_token_for
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_createsuperuser_noinput_from_the_environment_gives_role_admin(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "Root@Example.com")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "First-Admin-Secret-1")
    monkeypatch.setenv("DJANGO_SUPERUSER_FIRST_NAME", "Ada")
    monkeypatch.setenv("DJANGO_SUPERUSER_LAST_NAME", "Lovelace")

    call_command("createsuperuser", "--noinput", verbosity=0)

    user = User.objects.get(email="root@example.com")
    assert user.role.name == "admin"
    assert (user.first_name, user.last_name) == ("Ada", "Lovelace")
    assert user.is_superuser
    assert user.is_staff
    assert user.is_active
    assert user.check_password("First-Admin-Secret-1")
    assert user.has_module("users")


def test_createsuperuser_user_can_sign_in_to_the_api(monkeypatch, api_client):
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "boot@example.com")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "First-Admin-Secret-1")
    monkeypatch.setenv("DJANGO_SUPERUSER_FIRST_NAME", "Boot")
    monkeypatch.setenv("DJANGO_SUPERUSER_LAST_NAME", "Strap")
    call_command("createsuperuser", "--noinput", verbosity=0)

    response = api_client.post(
        "/api/v1/auth/login",
        {"email": "boot@example.com", "password": "First-Admin-Secret-1"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["data"]["user"]["role"] == "admin"


def test_password_history_keeps_the_last_five():
    user = UserFactory()
    for n in range(8):
        user.set_password(f"History-Password-{n:02d}")
        user.save()

    assert PasswordHistory.objects.filter(user=user).count() == 5


def test_refresh_token_for_opens_a_session():
    user = UserFactory()

    token = refresh_token_for(user)

    session = UserSession.objects.get(user=user)
    assert token["sid"] == str(session.pk)
    assert session.refresh_jti == token["jti"]


def test_sessions_revoke_all_is_idempotent():
    user = UserFactory()
    session_create(user=user)
    session_create(user=user)

    first = sessions_revoke_all(user=user, reason="revoked")
    second = sessions_revoke_all(user=user, reason="revoked")

    assert (first, second) == (2, 0)


def test_prune_deletes_only_long_expired_sessions_and_tokens():
    user = UserFactory()
    old, _ = session_create(user=user)
    live, _ = session_create(user=user)
    UserSession.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(days=3))
    OutstandingToken.objects.filter(jti=old.refresh_jti).update(
        expires_at=timezone.now() - timedelta(days=3)
    )

    deleted = sessions_prune()
    again = sessions_prune()

    assert deleted == {"sessions": 1, "tokens": 1, "rate_windows": 0}
    assert again == {"sessions": 0, "tokens": 0, "rate_windows": 0}
    assert list(UserSession.objects.values_list("pk", flat=True)) == [live.pk]


def test_prune_task_runs():
    user = UserFactory()
    session_create(user=user)

    sessions_prune_task.delay()

    assert UserSession.objects.count() == 1


def test_outstanding_tokens_do_not_store_the_token_itself():
    user = UserFactory()
    _session, token = session_create(user=user)

    row = OutstandingToken.objects.get(jti=token["jti"])

    assert row.token == ""
    assert row.expires_at > timezone.now() + timedelta(hours=23)
