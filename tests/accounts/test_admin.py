"""The operations console: OTP for staff with a device, user/role/branch admin, actions."""

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import modules
from accounts.models import Role, User, UserSession
from accounts.services import session_create
from core.models import AuditEvent
from tests.accounts.conftest import totp_for
from tests.accounts.factories import DEFAULT_PASSWORD, BranchFactory, UserFactory
from tests.conftest import admin_console_login

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"


@pytest.fixture
def staff_admin():
    return UserFactory(role="admin", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_web(client, staff_admin):
    return admin_console_login(client, staff_admin)


def _post_login(client, user, **extra):
    return client.post(
        LOGIN, {"username": user.email, "password": DEFAULT_PASSWORD, "next": "/admin/", **extra}
    )


def test_admin_keeps_the_intelipro_branding(client):
    response = client.get(LOGIN)

    assert response.status_code == 200
    assert "Intelipro Operations" in response.content.decode()


def test_staff_without_a_device_whose_role_needs_no_mfa_signs_in_with_a_password(client):
    manager = UserFactory(role="manager", is_staff=True)

    response = _post_login(client, manager)

    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_staff_with_a_device_needs_the_code(client, staff_admin):
    TOTPDevice.objects.create(user=staff_admin, name="phone", confirmed=True)

    response = _post_login(client, staff_admin)

    assert response.status_code == 200  # the form again, with an error
    assert client.get("/admin/").status_code == 302


def test_staff_with_a_device_signs_in_with_a_real_totp_code(client, staff_admin):
    device = TOTPDevice.objects.create(user=staff_admin, name="phone", confirmed=True)

    response = _post_login(client, staff_admin, otp_token=totp_for(device).now())

    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_a_wrong_code_is_refused(client, staff_admin):
    TOTPDevice.objects.create(user=staff_admin, name="phone", confirmed=True)

    _post_login(client, staff_admin, otp_token="000000")

    assert client.get("/admin/").status_code == 302


def test_session_login_without_otp_is_not_enough_once_a_device_exists(client, staff_admin):
    TOTPDevice.objects.create(user=staff_admin, name="phone", confirmed=True)
    client.force_login(staff_admin)  # password-only session, never OTP-verified

    assert client.get("/admin/").status_code == 302


def test_admin_login_shares_the_failed_login_limit(client, staff_admin):
    for _ in range(5):
        client.post(LOGIN, {"username": staff_admin.email, "password": "Wrong-password-1"})

    response = _post_login(client, staff_admin)

    assert response.status_code == 200
    assert "Too many failed sign-in attempts" in response.content.decode()


def test_user_changelist_filters_and_searches(admin_web):
    UserFactory(email="findme@example.com", role="agent")

    response = admin_web.get(
        reverse("admin:accounts_user_changelist"), {"q": "findme", "status__exact": "active"}
    )

    assert response.status_code == 200
    assert "findme@example.com" in response.content.decode()


def test_deactivate_action_calls_the_service(admin_web, staff_admin):
    user = UserFactory()
    session_create(user=user)

    admin_web.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "deactivate_users", "_selected_action": [user.pk]},
    )

    user.refresh_from_db()
    assert user.status == User.Status.INACTIVE
    assert UserSession.objects.get(user=user).revoked_at is not None
    assert AuditEvent.objects.get(action="user.deactivated").actor == staff_admin


def test_activate_action(admin_web):
    user = UserFactory(status=User.Status.LOCKED)

    admin_web.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "activate_users", "_selected_action": [user.pk]},
    )

    user.refresh_from_db()
    assert user.status == User.Status.ACTIVE


def test_reset_mfa_action(admin_web):
    user = UserFactory(mfa_enabled=True)
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)

    admin_web.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "reset_mfa", "_selected_action": [user.pk]},
    )

    user.refresh_from_db()
    assert user.mfa_enabled is False
    assert not TOTPDevice.objects.filter(user=user).exists()


def test_deactivate_action_refuses_oneself(admin_web, staff_admin):
    admin_web.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "deactivate_users", "_selected_action": [staff_admin.pk]},
    )

    staff_admin.refresh_from_db()
    assert staff_admin.status == User.Status.ACTIVE


def test_add_user_in_admin_goes_through_the_service(admin_web, staff_admin):
    role = Role.objects.get(name="agent")

    response = admin_web.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "Console.Made@example.com",
            "first_name": "Con",
            "last_name": "Sole",
            "role": role.pk,
            "password1": "Console-Made-Secret-1",
            "password2": "Console-Made-Secret-1",
        },
    )

    assert response.status_code == 302
    user = User.objects.get(email="console.made@example.com")
    assert user.check_password("Console-Made-Secret-1")
    assert AuditEvent.objects.get(action="user.created").actor == staff_admin


def test_password_set_in_admin_signs_the_user_out_and_is_audited(admin_web, staff_admin):
    user = UserFactory()
    session, _token = session_create(user=user)

    response = admin_web.post(
        reverse("admin:auth_user_password_change", args=[user.pk]),
        {"password1": "Set-By-Admin-Secret-1", "password2": "Set-By-Admin-Secret-1"},
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Set-By-Admin-Secret-1")
    session.refresh_from_db()
    assert session.revoked_at is not None
    assert AuditEvent.objects.get(action="auth.password_set_by_admin").actor == staff_admin


def test_users_cannot_be_deleted_in_admin(admin_web):
    user = UserFactory()

    response = admin_web.get(reverse("admin:accounts_user_delete", args=[user.pk]))

    assert response.status_code == 403


def test_role_form_has_a_checkbox_per_module(admin_web):
    role = Role.objects.get(name="agent")

    html = admin_web.get(reverse("admin:accounts_role_change", args=[role.pk])).content.decode()

    for module in modules.ALL_MODULES:
        assert f'type="checkbox" name="permissions" value="{module}"' in html


def test_role_change_in_admin_is_audited(admin_web):
    role = Role.objects.get(name="agent")

    response = admin_web.post(
        reverse("admin:accounts_role_change", args=[role.pk]),
        {
            "display_name": "Agent",
            "description": "Agent access",
            "permissions": ["dashboard", "cases"],
        },
    )

    assert response.status_code == 302
    role.refresh_from_db()
    assert role.permissions == ["dashboard", "cases"]
    assert AuditEvent.objects.filter(action="role.updated").exists()


def test_branch_admin_lists_branches(admin_web):
    BranchFactory(code="NRT", name="North")

    response = admin_web.get(reverse("admin:accounts_branch_changelist"), {"q": "NRT"})

    assert "North" in response.content.decode()


def test_sessions_admin_revokes(admin_web):
    user = UserFactory()
    session, _token = session_create(user=user)

    admin_web.post(
        reverse("admin:accounts_usersession_changelist"),
        {"action": "revoke_sessions", "_selected_action": [str(session.pk)]},
    )

    session.refresh_from_db()
    assert session.revoked_reason == "revoked"
