"""User and role management (module users: admins) through /api/v1/users and /roles."""

import pytest
from django.urls import reverse

from accounts.models import Role, User
from core.models import AuditEvent
from tests.accounts.factories import BranchFactory, UserFactory

pytestmark = pytest.mark.django_db

USERS = "/api/v1/users"
ROLES = "/api/v1/roles"


# --- list and filters ----------------------------------------------------------------------


def test_users_list_is_paginated_under_users(admin_client, admin_user):
    UserFactory.create_batch(3, role="agent")

    response = admin_client.get(USERS, {"limit": 2})

    assert response.status_code == 200
    data = response.json()["data"]
    assert len(data["users"]) == 2
    assert data["pagination"] == {
        "current_page": 1,
        "total_pages": 2,
        "total_records": 4,
        "per_page": 2,
    }
    assert {"id", "email", "role", "status", "permissions"} <= set(data["users"][0])


def test_users_list_filters_by_role_status_and_department(admin_client):
    UserFactory(role="agent", department="Motor")
    UserFactory(role="agent", department="Health", status=User.Status.INACTIVE)
    UserFactory(role="viewer", department="Motor")

    by_role = admin_client.get(USERS, {"role": "agent"}).json()["data"]["users"]
    by_status = admin_client.get(USERS, {"status": "inactive"}).json()["data"]["users"]
    by_department = admin_client.get(USERS, {"department": "motor"}).json()["data"]["users"]

    assert len(by_role) == 2
    assert [u["department"] for u in by_status] == ["Health"]
    assert {u["role"] for u in by_department} == {"agent", "viewer"}


def test_users_list_searches_email_and_names(admin_client):
    UserFactory(first_name="Priya", last_name="Sharma", email="ps@example.com")
    UserFactory(first_name="Ann", last_name="Lee", email="annlee@example.com")

    by_name = admin_client.get(USERS, {"search": "priya sharma"}).json()["data"]["users"]
    by_email = admin_client.get(USERS, {"search": "annlee@"}).json()["data"]["users"]

    assert [u["email"] for u in by_name] == ["ps@example.com"]
    assert [u["last_name"] for u in by_email] == ["Lee"]


def test_users_list_query_count_is_constant(admin_client, django_assert_max_num_queries):
    branch = BranchFactory()
    UserFactory.create_batch(30, role="agent", branch=branch)

    with django_assert_max_num_queries(4):
        response = admin_client.get(USERS, {"limit": 50})

    assert len(response.json()["data"]["users"]) == 31


@pytest.mark.parametrize("client_name", ["manager_client", "agent_client", "viewer_client"])
def test_only_admins_manage_users(request, client_name):
    client = request.getfixturevalue(client_name)

    response = client.get(USERS)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_get_user_by_id(admin_client):
    user = UserFactory(role="viewer")

    response = admin_client.get(f"{USERS}/{user.pk}")

    assert response.status_code == 200
    assert response.json()["data"]["role"] == "viewer"


def test_unknown_user_is_404(admin_client):
    response = admin_client.get(f"{USERS}/999999/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


# --- create --------------------------------------------------------------------------------


def test_create_user_with_a_password(admin_client, admin_user, api_client, login):
    branch = BranchFactory()

    response = admin_client.post(
        USERS,
        {
            "email": "New.Agent@Example.com",
            "first_name": "New",
            "last_name": "Agent",
            "role": "agent",
            "branch": branch.pk,
            "department": "Motor",
            "password": "Fresh-Agent-Secret-1",
        },
        format="json",
    )

    assert response.status_code == 201
    data = response.json()["data"]
    assert data["email"] == "new.agent@example.com"
    assert data["role"] == "agent"
    assert data["branch"] == branch.pk
    assert (
        login(api_client, "new.agent@example.com", password="Fresh-Agent-Secret-1").status_code
        == 200
    )
    event = AuditEvent.objects.get(action="user.created")
    assert event.actor == admin_user


def test_create_user_without_a_password_emails_an_invitation(admin_client, mailoutbox, api_client):
    response = admin_client.post(
        USERS,
        {
            "email": "invitee@example.com",
            "first_name": "In",
            "last_name": "Vitee",
            "role": "viewer",
        },
        format="json",
    )

    assert response.status_code == 201
    assert mailoutbox[0].to == ["invitee@example.com"]
    assert "reset-password?token=" in mailoutbox[0].body
    user = User.objects.get(email="invitee@example.com")
    assert not user.has_usable_password()


def test_create_user_with_a_taken_email_is_a_conflict(admin_client):
    UserFactory(email="taken@example.com")

    response = admin_client.post(
        USERS,
        {"email": "TAKEN@example.com", "first_name": "A", "last_name": "B", "role": "agent"},
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "email_taken"


def test_create_user_with_an_unknown_role_is_invalid(admin_client):
    response = admin_client.post(
        USERS,
        {"email": "x@example.com", "first_name": "A", "last_name": "B", "role": "wizard"},
        format="json",
    )

    assert response.status_code == 400
    assert "role" in response.json()["error"]["details"]


def test_create_user_with_a_weak_password_is_invalid(admin_client):
    response = admin_client.post(
        USERS,
        {
            "email": "x@example.com",
            "first_name": "A",
            "last_name": "B",
            "role": "agent",
            "password": "password",
        },
        format="json",
    )

    assert response.status_code == 400
    assert "password" in response.json()["error"]["details"]


# --- update --------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["put", "patch"])
def test_update_user_details_and_role(admin_client, method):
    user = UserFactory(role="agent")

    response = getattr(admin_client, method)(
        f"{USERS}/{user.pk}", {"job_title": "Lead", "role": "manager"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["data"]["role"] == "manager"
    assert response.json()["data"]["permissions"] == [
        "dashboard",
        "upload",
        "cases",
        "emails",
        "campaigns",
        "analytics",
        "ai",
        "messaging",
    ]
    event = AuditEvent.objects.get(action="user.role_changed")
    assert event.changes == ["agent", "manager"]


def test_role_change_applies_to_the_next_request(admin_client, client_for):
    user = UserFactory(role="agent")
    client = client_for(user)
    assert client.get(USERS).status_code == 403

    admin_client.patch(f"{USERS}/{user.pk}", {"role": "admin"}, format="json")

    assert client.get(USERS).status_code == 200


def test_update_to_a_taken_email_is_a_conflict(admin_client):
    UserFactory(email="one@example.com")
    user = UserFactory()

    response = admin_client.patch(f"{USERS}/{user.pk}", {"email": "ONE@example.com"}, format="json")

    assert response.status_code == 409


def test_users_cannot_be_deleted(admin_client):
    user = UserFactory()

    response = admin_client.delete(f"{USERS}/{user.pk}")

    assert response.status_code == 405
    assert User.objects.filter(pk=user.pk).exists()


# --- activate / deactivate -----------------------------------------------------------------


def test_deactivate_signs_the_user_out_and_blocks_login(
    admin_client, tokens_for, bearer, api_client, login
):
    user = UserFactory()
    data = tokens_for(user)

    response = admin_client.post(f"{USERS}/{user.pk}/deactivate")

    assert response.status_code == 200
    assert response.json()["data"]["status"] == "inactive"
    assert bearer(data["access_token"]).get("/api/v1/auth/me").status_code == 401
    assert (
        api_client.post(
            "/api/v1/auth/refresh", {"refresh_token": data["refresh_token"]}, format="json"
        ).status_code
        == 401
    )
    assert login(api_client, user).json()["error"]["code"] == "account_inactive"
    assert AuditEvent.objects.filter(action="user.deactivated", object_id=str(user.pk)).exists()


def test_activate_restores_access(admin_client, api_client, login):
    user = UserFactory(status=User.Status.INACTIVE)

    response = admin_client.post(f"{USERS}/{user.pk}/activate/")

    assert response.status_code == 200
    assert response.json()["data"]["status"] == "active"
    assert login(api_client, user).status_code == 200
    assert AuditEvent.objects.filter(action="user.activated").exists()


def test_deactivate_twice_is_harmless(admin_client):
    user = UserFactory()
    admin_client.post(f"{USERS}/{user.pk}/deactivate")

    response = admin_client.post(f"{USERS}/{user.pk}/deactivate")

    assert response.status_code == 200
    assert AuditEvent.objects.filter(action="user.deactivated").count() == 1


def test_admin_cannot_deactivate_themselves(admin_client, admin_user):
    response = admin_client.post(f"{USERS}/{admin_user.pk}/deactivate")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "cannot_change_self"


def test_admin_can_demote_another_admin_but_not_themselves(admin_client, admin_user):
    other = UserFactory(role="admin")

    demote_other = admin_client.patch(f"{USERS}/{other.pk}", {"role": "agent"}, format="json")
    demote_self = admin_client.patch(f"{USERS}/{admin_user.pk}", {"role": "agent"}, format="json")

    assert demote_other.status_code == 200
    assert demote_self.status_code == 409
    assert demote_self.json()["error"]["code"] == "cannot_change_self"


def test_demoting_the_only_other_admin_is_refused_when_none_would_remain(admin_user):
    from accounts.errors import LastAdminError
    from accounts.services import user_update

    with pytest.raises(LastAdminError):
        user_update(actor=None, user=admin_user, data={"role": "agent"})


# --- roles ---------------------------------------------------------------------------------


def test_roles_list_is_a_plain_list_of_the_seeded_roles(admin_client):
    response = admin_client.get(ROLES)

    assert response.status_code == 200
    roles = {r["name"]: r for r in response.json()["data"]}
    assert set(roles) == {"admin", "manager", "agent", "viewer"}
    assert roles["viewer"]["permissions"] == ["dashboard"]
    assert roles["viewer"]["is_read_only"] is True
    assert roles["admin"]["user_count"] == 1


def test_roles_need_the_users_module(manager_client):
    response = manager_client.get(ROLES)

    assert response.status_code == 403


def test_put_role_changes_its_modules_and_is_audited(admin_client, client_for):
    role = Role.objects.get(name="agent")
    agent = UserFactory(role="agent")

    response = admin_client.put(
        f"{ROLES}/{role.pk}", {"permissions": ["analytics", "dashboard"]}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["data"]["permissions"] == ["dashboard", "analytics"]
    event = AuditEvent.objects.get(action="role.updated")
    assert event.changes["permissions"] == [
        ["dashboard", "cases", "emails", "ai", "messaging"],
        ["dashboard", "analytics"],
    ]
    assert client_for(agent).get("/api/v1/auth/me").json()["data"]["permissions"] == [
        "dashboard",
        "analytics",
    ]


def test_put_role_rejects_unknown_modules(admin_client):
    role = Role.objects.get(name="agent")

    response = admin_client.put(f"{ROLES}/{role.pk}", {"permissions": ["teleport"]}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_admin_role_keeps_user_management(admin_client):
    role = Role.objects.get(name="admin")

    response = admin_client.put(f"{ROLES}/{role.pk}", {"permissions": ["dashboard"]}, format="json")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "role_protected"


def test_put_role_can_require_mfa(admin_client):
    role = Role.objects.get(name="manager")

    response = admin_client.put(f"{ROLES}/{role.pk}/", {"mfa_required": True}, format="json")

    assert response.status_code == 200
    assert Role.objects.get(pk=role.pk).mfa_required is True


def test_reversed_urls(admin_client, admin_user):
    assert admin_client.get(reverse("api:accounts:user-list")).status_code == 200
    assert admin_client.get(reverse("api:accounts:role-list")).status_code == 200
    detail = reverse("api:accounts:user-detail", kwargs={"pk": admin_user.pk})
    assert admin_client.get(detail).status_code == 200
