"""Object authorization, generated: every object route x every role x own vs another's record.

The routes come from the URL conf (every API route with a `pk`), their methods from the views,
and how to build records from tests/authz/registry.py. The rules (the README's "Roles"):
- an agent never reads or changes another agent's record, a branch manager never touches
  another branch's record: 404, as if it did not exist;
- a role without the record's module gets 403 (the matrix decides before any lookup);
- a viewer never writes: 403;
- a user's own notifications and sessions are theirs alone: anyone else gets 404.
"Own" records must be reachable (the detail read answers 200), so a 404 everywhere can't pass
for protection.
"""

import io
from functools import cached_property

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from PIL import Image
from rest_framework.test import APIClient

from accounts import modules
from accounts.models import Role
from accounts.services.sessions import session_create
from notifications.models import Notification
from tests.accounts.factories import BranchFactory, UserFactory
from tests.authz.registry import route_for
from tests.files.helpers import upload
from tests.renewals.factories import RenewalCaseFactory
from tests.summary import COUNTS
from uploads.models import UploadBatch

pytestmark = pytest.mark.django_db

ROLES = ["admin", "manager", "agent", "viewer"]
WRITE_METHODS = {"post", "put", "patch", "delete"}


def _object_routes() -> list[tuple[str, str, str]]:
    """(namespaced route name, route name, method) for every API route taking a `pk`."""
    found: list[tuple[str, str, str]] = []

    def walk(patterns, namespace: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = (
                    f"{namespace}:{p.namespace}"
                    if namespace and p.namespace
                    else (p.namespace or namespace)
                )
                walk(p.url_patterns, ns)
            elif isinstance(p, URLPattern) and p.name and "pk" in p.pattern.regex.groupindex:
                if not namespace.startswith("api"):
                    continue  # the admin has its own rules (staff only, see tests/accounts)
                view = p.callback
                actions = getattr(view, "actions", None)
                if actions:
                    methods = [m for m in actions if m not in ("head", "options")]
                else:
                    cls = getattr(view, "view_class", None) or getattr(view, "cls", None)
                    methods = [
                        m
                        for m in getattr(cls, "http_method_names", [])
                        if m not in ("head", "options", "trace") and hasattr(cls, m)
                    ]
                for method in methods:
                    found.append((f"{namespace}:{p.name}", p.name, method))

    walk(get_resolver().url_patterns, "")
    return sorted(set(found))


OBJECT_ROUTES = _object_routes()
COUNTS["matrix_routes"] = len(OBJECT_ROUTES)
COUNTS["matrix_roles"] = len(ROLES)


def test_every_object_route_is_registered():
    unregistered = sorted({name for _full, name, _m in OBJECT_ROUTES if route_for(name) is None})

    assert OBJECT_ROUTES, "the URL conf walk found no object routes"
    assert unregistered == [], (
        f"register these object routes in tests/authz/registry.py: {unregistered}"
    )


def _png() -> bytes:
    """A small real image, so the file has a thumbnail."""
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


class World:
    """Two branches, an agent and a manager in each; records of branch A are assigned to
    agent A (the caller's "own" side), records of branch B to agent B ("another's")."""

    def __init__(self, role: str, tmp_path) -> None:
        self.branch_a = BranchFactory()
        self.branch_b = BranchFactory()
        self.agent_a = UserFactory(role="agent", branch=self.branch_a)
        self.agent_b = UserFactory(role="agent", branch=self.branch_b)
        self.manager_a = UserFactory(role="manager", branch=self.branch_a)
        self.manager_b = UserFactory(role="manager", branch=self.branch_b)
        self.caller = {
            "admin": lambda: UserFactory(role="admin", is_staff=True, is_superuser=True),
            "manager": lambda: self.manager_a,
            "agent": lambda: self.agent_a,
            "viewer": lambda: UserFactory(role="viewer", branch=self.branch_a),
        }[role]()
        self.stranger = self.agent_b
        # Agents and viewers own what is assigned to them; for the others branch A's records
        # belong to agent A.
        self.owner_a = self.caller if role in ("agent", "viewer") else self.agent_a

    @cached_property
    def case_a(self):
        return RenewalCaseFactory(
            assigned_to=self.owner_a, policy__branch=self.branch_a, policy__agent=self.owner_a
        )

    @cached_property
    def case_b(self):
        return RenewalCaseFactory(
            assigned_to=self.agent_b, policy__branch=self.branch_b, policy__agent=self.agent_b
        )

    def _batch(self, uploader):
        return UploadBatch.objects.create(
            file_name="renewals.csv",
            uploaded_by=uploader,
            status=UploadBatch.Status.COMPLETED,
            total_records=1,
            processed_records=1,
            successful_records=1,
        )

    @cached_property
    def batch_a(self):
        return self._batch(self.manager_a)

    @cached_property
    def batch_b(self):
        return self._batch(self.manager_b)

    def _file(self, owner, case):
        client = APIClient()
        from accounts.tokens import access_token_for

        client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token_for(owner)}")
        response = upload(client, name="scan.png", data=_png(), entity_id=case.pk)
        assert response.status_code == 201, response.content
        from files.models import File

        return File.objects.get(pk=response.json()["data"]["id"])

    @cached_property
    def file_a(self):
        # A viewer can't upload; an agent uploads to their own case (and may delete it).
        return self._file(
            self.caller if self.caller == self.agent_a else self.manager_a, self.case_a
        )

    @cached_property
    def file_b(self):
        return self._file(self.manager_b, self.case_b)

    def _email_account(self, name):
        from emails.models import EmailAccount

        return EmailAccount.objects.create(
            name=name,
            email=f"{name}@example.com",
            provider="imap",
            imap_server="127.0.0.1",
            imap_port=1,  # nothing listens: a connection test answers "unreachable" at once
            smtp_server="127.0.0.1",
            smtp_port=1,
            username=name,
            password_encrypted="secret",
            use_ssl=False,
        )

    @cached_property
    def email_account_a(self):
        return self._email_account("mailbox-a")

    @cached_property
    def email_account_b(self):
        return self._email_account("mailbox-b")

    def _email(self, case, assignee, name):
        from django.utils import timezone

        from emails.models import Email

        return Email.objects.create(
            message_id=f"<{name}@example.org>",
            thread_id=f"<{name}@example.org>",
            from_email="customer@example.org",
            to_email="support@example.com",
            subject=name,
            received_at=timezone.now(),
            case=case,
            assigned_to=assignee,
        )

    @cached_property
    def email_a(self):
        return self._email(self.case_a, self.owner_a, "email-a")

    @cached_property
    def email_b(self):
        return self._email(self.case_b, self.agent_b, "email-b")

    def notification_for(self, user):
        return Notification.objects.create(
            user=user, type="assignment", title="Assigned", message="A case", priority="medium"
        )

    def session_for(self, user):
        session, _token = session_create(user=user)
        return session

    def role_of(self, user):
        return Role.objects.get(name=user.role_name)


@pytest.fixture
def world_for(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CLAMAV_URL = ""
    return lambda role: World(role, tmp_path)


def _expected(route, role: str, method: str, which: str) -> set[int]:
    """The allowed status codes; an empty set means "access": anything but 403/404/5xx."""
    write = method in WRITE_METHODS
    if route.kind == "personal":
        return set() if which == "own" else {404}
    if route.module and route.module not in modules.default_modules_for(role):
        return {403}
    if route.kind == "shared":
        return {403} if write and role not in route.writers else set()
    if route.roles is not None and role not in route.roles:
        return {403}
    if role == modules.VIEWER and write:
        # Never a write; a record the viewer can't even see may also answer 404.
        return {403} if which == "own" else {403, 404}
    if route.kind == "admin_module" or role == modules.ADMIN or which == "own":
        return set()
    return {404}


def _call(client: APIClient, method: str, url: str):
    if method in ("get", "delete"):
        return getattr(client, method)(url)
    return getattr(client, method)(url, {}, format="json")


def _check(response, expected: set[int], label: str) -> None:
    code = response.status_code
    assert code < 500, f"{label}: {code} {response.content[:300]!r}"
    if expected:
        assert code in expected, f"{label}: expected {sorted(expected)}, got {code}"
    else:
        assert code not in (403, 404), f"{label}: expected access, got {code}"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("full_name", "name", "method"), OBJECT_ROUTES, ids=lambda v: str(v))
def test_object_matrix(world_for, client_for, role, full_name, name, method):
    route = route_for(name)
    if route is None:
        pytest.fail(f"{name} is not registered (see test_every_object_route_is_registered)")
    world = world_for(role)
    client = client_for(world.caller)

    other = route.build(world, "other")
    other_response = _call(client, method, reverse(full_name, kwargs={"pk": other.pk}))
    own = route.build(world, "own")
    own_response = _call(client, method, reverse(full_name, kwargs={"pk": own.pk}))

    expected_other = _expected(route, role, method, "other")
    expected_own = _expected(route, role, method, "own")
    COUNTS["matrix_cells"] += 1
    COUNTS["matrix_requests"] += 2
    _check(other_response, expected_other, f"{role} {method} another's {name}")
    _check(own_response, expected_own, f"{role} {method} own {name}")
    if name.endswith("-detail") and method == "get" and not expected_own:
        assert own_response.status_code == 200


def test_a_deactivated_users_token_stops_working_on_the_next_request(client_for, admin_client):
    agent = UserFactory(role="agent")
    client = client_for(agent)
    assert client.get("/api/v1/cases").status_code == 200

    deactivated = admin_client.post(
        reverse("api:accounts:user-deactivate", kwargs={"pk": agent.pk})
    )
    response = client.get("/api/v1/cases")

    assert deactivated.status_code == 200
    assert response.status_code == 401
