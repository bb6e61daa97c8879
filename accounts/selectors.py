"""Reads of accounts: users, roles and sessions as the API and admin show them."""

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Role, User, UserSession


def user_list() -> QuerySet[User]:
    return User.objects.select_related("role", "branch").order_by("id")


def user_get(*, pk: int) -> User | None:
    return user_list().filter(pk=pk).first()


def role_list() -> QuerySet[Role]:
    return Role.objects.order_by("id")


def session_list_live(*, user: User) -> QuerySet[UserSession]:
    """The user's signed-in devices: not revoked and not expired, most recent first."""
    return UserSession.objects.filter(
        user=user, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).order_by("-last_used_at")
