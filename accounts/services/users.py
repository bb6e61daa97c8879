"""User management by administrators, and each user's own profile.

There is no hard delete: history (audit, cases, emails) must keep its actor. Deactivating
or locking a user signs out all of their sessions at once.
"""

from typing import Any

from django.db import transaction

from accounts import modules
from accounts.errors import LastAdminError, UserEmailTakenError, UserSelfActionError
from accounts.models import Branch, Role, User, UserSession
from accounts.services.passwords import password_validate, user_invite_send
from accounts.services.sessions import sessions_revoke_all
from core.services import audit_log

PROFILE_FIELDS = ("first_name", "last_name", "phone", "avatar_url")
ADMIN_EDITABLE_FIELDS = (
    "email",
    "first_name",
    "last_name",
    "phone",
    "department",
    "job_title",
    "avatar_url",
    "role",
    "branch",
    "status",
    "is_staff",
)


def _as_role(role: Role | str | None) -> Role | None:
    if role is None or isinstance(role, Role):
        return role
    return Role.objects.get(name=role)


def _ensure_other_active_admin(user: User) -> None:
    """Refuse a change that would leave no active administrator."""
    others = (
        User.objects.filter(role__name=modules.ADMIN, status=User.Status.ACTIVE)
        .exclude(pk=user.pk)
        .exists()
    )
    if not others:
        raise LastAdminError()


def user_create(
    *,
    actor: User | None,
    email: str,
    first_name: str,
    last_name: str,
    role: Role | str,
    password: str | None = None,
    branch: Branch | None = None,
    phone: str = "",
    department: str = "",
    job_title: str = "",
    avatar_url: str = "",
    is_staff: bool = False,
) -> User:
    """Create a user. Without a password, they get an email inviting them to choose one."""
    email = User.objects.normalize_email(email).strip().lower()
    role_obj = _as_role(role)
    user = User(
        email=email,
        first_name=first_name,
        last_name=last_name,
        role=role_obj,
        branch=branch,
        phone=phone,
        department=department,
        job_title=job_title,
        avatar_url=avatar_url,
        is_staff=is_staff,
    )
    if password:
        password_validate(password=password, user=user, field="password")
    with transaction.atomic():
        if User.objects.filter(email__iexact=email).exists():
            raise UserEmailTakenError()
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
        audit_log(
            action="user.created",
            actor=actor,
            obj=user,
            changes={
                "email": email,
                "role": user.role_name,
                "branch": branch.pk if branch else None,
                "invited": not password,
            },
        )
    if not password:
        user_invite_send(user=user)
    return user


def _value(user: User, name: str) -> Any:
    if name == "role":
        return user.role.name if user.role else None
    if name == "branch":
        return user.branch_id
    return getattr(user, name)


def user_update(*, actor: User | None, user: User, data: dict[str, Any]) -> User:
    """Change a user's details, role, branch or status (admin). Audited field by field."""
    unknown = set(data) - set(ADMIN_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not editable: {sorted(unknown)}")
    with transaction.atomic():
        user = User.objects.select_for_update(of=("self",)).select_related("role").get(pk=user.pk)
        changes: dict[str, list[Any]] = {}
        new_role = _as_role(data["role"]) if "role" in data else user.role
        new_status = data.get("status", user.status)
        is_self = actor is not None and actor.pk == user.pk
        demoting = user.role_name == modules.ADMIN and (
            (new_role.name if new_role else None) != modules.ADMIN
            or new_status != User.Status.ACTIVE
        )
        if is_self and (new_status != User.Status.ACTIVE or demoting):
            raise UserSelfActionError()
        if demoting and user.status == User.Status.ACTIVE:
            _ensure_other_active_admin(user)
        if "email" in data:
            email = User.objects.normalize_email(data["email"]).strip().lower()
            if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
                raise UserEmailTakenError()
            data = {**data, "email": email}
        update_fields = []
        for name, value in data.items():
            if name == "role":
                value = new_role
            before = _value(user, name)
            setattr(user, name, value)
            after = _value(user, name)
            if before != after:
                changes[name] = [before, after]
                update_fields.append(name)
        if not changes:
            return user
        user.save(update_fields=[*update_fields, "updated_at"])
        audit_log(action="user.updated", actor=actor, obj=user, changes=changes)
        if "role" in changes:
            audit_log(action="user.role_changed", actor=actor, obj=user, changes=changes["role"])
        if "status" in changes:
            _status_changed(actor=actor, user=user, before=changes["status"][0])
    return user


def _status_changed(*, actor: User | None, user: User, before: str) -> None:
    action = {
        User.Status.ACTIVE: "user.activated",
        User.Status.INACTIVE: "user.deactivated",
        User.Status.LOCKED: "user.locked",
    }[User.Status(user.status)]
    revoked = 0
    if user.status != User.Status.ACTIVE:
        revoked = sessions_revoke_all(user=user, reason=UserSession.RevokedReason.DEACTIVATED)
    audit_log(
        action=action,
        actor=actor,
        obj=user,
        changes={"status": [before, user.status], "sessions_revoked": revoked},
    )


def user_deactivate(*, actor: User | None, user: User) -> User:
    """Deactivate (idempotent): no sign-in, all sessions end, history keeps the row."""
    return user_update(actor=actor, user=user, data={"status": User.Status.INACTIVE})


def user_activate(*, actor: User | None, user: User) -> User:
    """Re-activate a deactivated or locked user (idempotent)."""
    return user_update(actor=actor, user=user, data={"status": User.Status.ACTIVE})


def profile_update(*, user: User, data: dict[str, Any]) -> User:
    """A user edits their own names, phone and avatar."""
    data = {k: v for k, v in data.items() if k in PROFILE_FIELDS}
    with transaction.atomic():
        user = (
            User.objects.select_for_update(of=("self",))
            .select_related("role", "branch")
            .get(pk=user.pk)
        )
        changes = {
            name: [getattr(user, name), value]
            for name, value in data.items()
            if getattr(user, name) != value
        }
        if not changes:
            return user
        for name, (_before, after) in changes.items():
            setattr(user, name, after)
        user.save(update_fields=[*changes, "updated_at"])
        audit_log(action="user.profile_updated", actor=user, obj=user, changes=changes)
    return user
