"""Authorization in one place: the permission matrix (generated from the matrix itself, every
role x module x read/write through real routing) and the object rules of scope_queryset."""

import itertools

import pytest
from django.urls import reverse

from accounts import modules
from accounts.models import Role
from accounts.permissions import scope_queryset, user_can
from tests.accounts.factories import BranchFactory, UserFactory

pytestmark = pytest.mark.django_db

MATRIX_URLS = "tests.accounts.urls_matrix"
CASES = list(itertools.product(modules.ROLE_NAMES, modules.ALL_MODULES, ["read", "write"]))


def _expected(role: str, module: str, access: str) -> int:
    allowed = role in modules.PERMISSION_MATRIX[module]
    if access == "write":
        allowed = allowed and role not in modules.READ_ONLY_ROLES
        return 201 if allowed else 403
    return 200 if allowed else 403


def test_seeded_roles_match_the_spec_matrix():
    for role in Role.objects.filter(name__in=modules.ROLE_NAMES):
        assert role.permissions == modules.default_modules_for(role.name)
        assert role.is_read_only == (role.name in modules.READ_ONLY_ROLES)


@pytest.mark.urls(MATRIX_URLS)
@pytest.mark.parametrize(("role", "module", "access"), CASES, ids=["-".join(c) for c in CASES])
def test_matrix(client_for, role, module, access):
    client = client_for(UserFactory(role=role))
    url = reverse(f"probe:probe-{module}-list")

    response = client.get(url) if access == "read" else client.post(url, {}, format="json")

    assert response.status_code == _expected(role, module, access)
    if response.status_code == 403:
        assert response.json()["error"]["code"] == "permission_denied"


@pytest.mark.urls(MATRIX_URLS)
def test_matrix_requires_authentication(api_client):
    response = api_client.get(reverse("probe:probe-dashboard-list"))

    assert response.status_code == 401


@pytest.mark.parametrize(("role", "module", "access"), CASES, ids=["-".join(c) for c in CASES])
def test_user_can_follows_the_same_matrix(role, module, access):
    user = UserFactory(role=role)

    allowed = user_can(user, module, write=access == "write")

    assert allowed == (_expected(role, module, access) in (200, 201))


@pytest.mark.urls(MATRIX_URLS)
def test_changing_a_roles_modules_changes_access(client_for):
    client = client_for(UserFactory(role="viewer"))
    Role.objects.filter(name="viewer").update(permissions=["dashboard", "analytics"])

    response = client.get(reverse("probe:probe-analytics-list"))

    assert response.status_code == 200


# --- object rules (scope_queryset) ---------------------------------------------------------


@pytest.fixture
def two_agents_records():
    agent_a = UserFactory(role="agent")
    agent_b = UserFactory(role="agent")
    record_a = BranchFactory(manager=agent_a)
    record_b = BranchFactory(manager=agent_b)
    return agent_a, agent_b, record_a, record_b


def _detail(record) -> str:
    return reverse("probe:probe-branch-detail", kwargs={"pk": record.pk})


@pytest.mark.urls(MATRIX_URLS)
def test_agent_reads_their_own_record(client_for, two_agents_records):
    agent_a, _agent_b, record_a, _record_b = two_agents_records

    response = client_for(agent_a).get(_detail(record_a))

    assert response.status_code == 200


@pytest.mark.urls(MATRIX_URLS)
def test_agent_cannot_read_another_agents_record(client_for, two_agents_records):
    agent_a, _agent_b, _record_a, record_b = two_agents_records

    response = client_for(agent_a).get(_detail(record_b))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.urls(MATRIX_URLS)
def test_agent_cannot_change_another_agents_record(client_for, two_agents_records):
    agent_a, _agent_b, _record_a, record_b = two_agents_records

    response = client_for(agent_a).patch(_detail(record_b), {"name": "Hijacked"}, format="json")

    assert response.status_code == 404
    record_b.refresh_from_db()
    assert record_b.name != "Hijacked"


@pytest.mark.urls(MATRIX_URLS)
def test_manager_of_a_branch_sees_only_that_branch(client_for, two_agents_records):
    _a, _b, record_a, record_b = two_agents_records
    manager = UserFactory(role="manager", branch=record_a)

    own = client_for(manager).get(_detail(record_a))
    other = client_for(manager).get(_detail(record_b))

    assert own.status_code == 200
    assert other.status_code == 404


@pytest.mark.urls(MATRIX_URLS)
def test_manager_without_a_branch_sees_all(client_for, two_agents_records):
    _a, _b, record_a, record_b = two_agents_records
    manager = UserFactory(role="manager")

    assert client_for(manager).get(_detail(record_a)).status_code == 200
    assert client_for(manager).get(_detail(record_b)).status_code == 200


@pytest.mark.urls(MATRIX_URLS)
def test_admin_sees_and_changes_everything(admin_client, two_agents_records):
    _a, _b, _record_a, record_b = two_agents_records

    response = admin_client.patch(_detail(record_b), {"name": "Renamed"}, format="json")

    assert response.status_code == 200


def test_scope_queryset_extra_own_adds_another_notion_of_ownership(two_agents_records):
    agent_a, _agent_b, record_a, record_b = two_agents_records
    from django.db.models import Q

    from accounts.models import Branch

    scoped = scope_queryset(
        Branch.objects.all(), agent_a, assignee_field="manager", extra_own=Q(code=record_b.code)
    )

    assert set(scoped) == {record_a, record_b}


def test_scope_queryset_gives_anonymous_nothing(two_agents_records):
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import Branch

    assert not scope_queryset(Branch.objects.all(), AnonymousUser(), assignee_field="manager")


def test_viewer_sees_only_records_assigned_to_them(two_agents_records):
    from accounts.models import Branch

    viewer = UserFactory(role="viewer")
    mine = BranchFactory(manager=viewer)

    scoped = scope_queryset(Branch.objects.all(), viewer, assignee_field="manager")

    assert list(scoped) == [mine]
