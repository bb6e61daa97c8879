"""Object routes of the API and how to build "own" and "another's" records for each.

The object-authorization matrix (test_object_matrix.py) walks the project's URL conf for every
API route that takes a `pk`; each such route must belong to an entry here, keyed by the
route name's prefix (the router basename: "case" covers "case-detail", "case-assign", ...).
A new object endpoint without an entry fails the matrix until it is registered, so new
endpoints join the matrix by construction, not by someone remembering to add a test.

Kinds:
- "scoped": a record of the domain, visible by role scope (agents: assigned to them; managers
  with a branch: their branch; admins and branchless managers: everything). `module` is the
  permission-matrix module that guards it.
- "personal": belongs to one signed-in user (their notifications, their sessions). Nobody
  else reaches it, admins included; any role may act on their own (a viewer marking their own
  notification read is not a write to business data).
- "shared": a record everyone holding the module reads (the knowledge base); only the roles
  in `writers` change it, the others get 403.
- "admin_module": configuration behind a module only admins hold by default (users, roles);
  every other role gets 403 whatever the record.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from accounts import modules


@dataclass(frozen=True)
class ObjectRoute:
    prefix: str
    kind: str  # "scoped" | "personal" | "shared" | "admin_module"
    module: str | None
    build: Callable[[Any, str], Any]  # (world, "own"|"other") -> model instance (or pk holder)
    writers: tuple[str, ...] = ()  # "shared" only
    # Roles that may use the route at all (None: every role the module allows); the others
    # get 403 whatever the record, e.g. mailboxes are for admins and managers only.
    roles: frozenset[str] | None = None


def _case(world, which):
    return world.case_a if which == "own" else world.case_b


def _policy(world, which):
    return _case(world, which).policy


def _customer(world, which):
    return _case(world, which).policy.customer


def _batch(world, which):
    return world.batch_a if which == "own" else world.batch_b


def _file(world, which):
    return world.file_a if which == "own" else world.file_b


def _notification(world, which):
    return world.notification_for(world.caller if which == "own" else world.stranger)


def _session(world, which):
    return world.session_for(world.caller if which == "own" else world.stranger)


def _user(world, which):
    return world.caller if which == "own" else world.stranger


def _email_account(world, which):
    return world.email_account_a if which == "own" else world.email_account_b


def _email(world, which):
    return world.email_a if which == "own" else world.email_b


def _role(world, which):
    return world.role_of(world.caller if which == "own" else world.stranger)


def _knowledge(world, which):
    from ai_assistant.models import KnowledgeDocument

    return KnowledgeDocument.objects.create(
        title=f"Renewal playbook ({which})",
        doc_type="markdown",
        content="# Call early\nCall customers 30 days before expiry.",
        content_hash=which,
        created_by=world.manager_a if which == "own" else world.manager_b,
    )


REGISTRY: list[ObjectRoute] = [
    ObjectRoute("case", "scoped", modules.CASES, _case),
    ObjectRoute("policy", "scoped", modules.CASES, _policy),
    ObjectRoute("customer", "scoped", modules.CASES, _customer),
    # GET/PUT /customers/{id}/preferences (communications): scoped like customers.
    ObjectRoute("customer-preferences", "scoped", modules.MESSAGING, _customer),
    ObjectRoute("batch", "scoped", modules.UPLOAD, _batch),
    # Files are not a module: who may see the entity may see its files (docs/files.md).
    ObjectRoute("file", "scoped", None, _file),
    ObjectRoute("notification", "personal", None, _notification),
    ObjectRoute("session", "personal", None, _session),
    ObjectRoute(
        "knowledge", "shared", modules.AI, _knowledge, writers=(modules.ADMIN, modules.MANAGER)
    ),
    ObjectRoute("user", "admin_module", modules.USERS, _user),
    ObjectRoute("role", "admin_module", modules.USERS, _role),
    # Emails: assigned to the agent or linked to their case; managers their branch's.
    ObjectRoute("email", "scoped", modules.EMAILS, _email),
    # Mailbox configuration: admins and managers, every mailbox (not branch-scoped).
    ObjectRoute(
        "email-account",
        "admin_module",
        modules.EMAILS,
        _email_account,
        roles=frozenset({modules.ADMIN, modules.MANAGER}),
    ),
]


def route_for(name: str) -> ObjectRoute | None:
    """The longest registered prefix of a route name ("file-download-alias" -> "file")."""
    matches = [r for r in REGISTRY if name == r.prefix or name.startswith(r.prefix + "-")]
    return max(matches, key=lambda r: len(r.prefix), default=None)
