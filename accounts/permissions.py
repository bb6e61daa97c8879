"""Authorization in one place: module permissions (the matrix) and object scope.

Every viewset declares the module it belongs to:

    class CaseViewSet(...):
        permission_classes = [IsAuthenticated, ModulePermission]
        module = modules.CASES

Reads (GET/HEAD/OPTIONS) need the module in the caller's role; writes also need a role that
is not read-only (viewer). A view may set `write_module` when writes need another module.
Object rules are queryset scoping (scope_queryset below): records out of a caller's scope
are simply not in the queryset, so they answer 404, never 403.
"""

from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from accounts import modules

if TYPE_CHECKING:
    from accounts.models import User


class ModulePermission(BasePermission):
    message = "Your role does not allow this."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        read = request.method in SAFE_METHODS
        module = (
            getattr(view, "module", None)
            if read
            else (getattr(view, "write_module", None) or getattr(view, "module", None))
        )
        if module is None:
            raise AssertionError(f"{view.__class__.__name__} must declare `module`.")
        if not user.has_module(module):
            return False
        return read or not user.is_read_only


def user_can(user: "User", module: str, *, write: bool = False) -> bool:
    """The same rule for non-view code (admin actions, websocket consumers, tasks)."""
    if not (user and user.is_authenticated and user.has_module(module)):
        return False
    return not (write and user.is_read_only)


def scope_queryset(
    queryset: QuerySet,
    user: "User",
    *,
    assignee_field: str = "assigned_to",
    branch_field: str | None = None,
    extra_own: Q | None = None,
) -> QuerySet:
    """Limit `queryset` to the records `user` may see.

    - admin: everything;
    - manager: everything, or only their branch's records when they have a branch and the
      model has a branch (`branch_field`, e.g. "policy__branch");
    - agent and viewer (and any other role): records assigned to them (`assignee_field`),
      plus `extra_own` when a model has another notion of ownership (e.g. uploaded_by).
    """
    if not (user and user.is_authenticated):
        return queryset.none()
    role = user.role_name
    if role == modules.ADMIN or user.is_superuser:
        return queryset
    if role == modules.MANAGER:
        if branch_field and user.branch_id:
            return queryset.filter(**{branch_field: user.branch_id})
        return queryset
    own = Q(**{assignee_field: user.pk})
    if extra_own is not None:
        own |= extra_own
    return queryset.filter(own)
