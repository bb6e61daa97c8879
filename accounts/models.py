"""People and organisation: users, their roles and the branches they work in."""

import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone

from accounts import modules
from intelipro.models import TimeStampedModel


class Role(TimeStampedModel):
    """A job role (admin, manager, agent, viewer) and the product modules it may use."""

    name = models.CharField(max_length=50, unique=True)
    display_name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    permissions = models.JSONField(default=list, help_text="Module names, e.g. ['dashboard'].")
    # Viewer is read-only everywhere it may look; a role flag so admins can create others.
    is_read_only = models.BooleanField(default=False)
    mfa_required = models.BooleanField(
        default=False, help_text="Members must enrol an authenticator app to sign in."
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.display_name or self.name

    @property
    def requires_mfa(self) -> bool:
        """The flag, or the admin role while ADMIN_ROLE_MFA_REQUIRED is on (production's
        default): administrators hold every key, so a password alone never signs them in."""
        return self.mfa_required or (
            self.name == modules.ADMIN and settings.ADMIN_ROLE_MFA_REQUIRED
        )


class Branch(TimeStampedModel):
    """An office of the insurer; policies, cases and staff belong to one."""

    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=150)
    region = models.CharField(max_length=100, blank=True, db_index=True)
    manager = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_branches",
        help_text="Escalations of this branch's cases go here.",
    )

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "branches"

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: Any) -> "User":
        if not email:
            raise ValueError("Users must have an email address.")
        email = self.normalize_email(email).lower()
        role = extra.pop("role", None)
        if isinstance(role, str):
            role = Role.objects.get(name=role)
        user = self.model(email=email, role=role, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        extra.setdefault("role", modules.AGENT)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("role", modules.ADMIN)
        extra.setdefault("first_name", "Admin")
        extra.setdefault("last_name", "User")
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> "User":
        return self.get(email__iexact=username or "")


class User(AbstractBaseUser, PermissionsMixin, TimeStampedModel):
    """A person who signs in: staff of the insurer (admins, managers, agents, viewers)."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        INACTIVE = "inactive", "Inactive"  # deactivated by an admin; history keeps the row
        LOCKED = "locked", "Locked"  # locked for security (e.g. by an admin after an incident)

    email = models.EmailField(max_length=255, unique=True)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    phone = models.CharField(max_length=20, blank=True)
    department = models.CharField(max_length=100, blank=True, db_index=True)
    job_title = models.CharField(max_length=100, blank=True)
    role = models.ForeignKey(Role, null=True, on_delete=models.PROTECT, related_name="users")
    branch = models.ForeignKey(
        Branch, null=True, blank=True, on_delete=models.SET_NULL, related_name="users"
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    avatar_url = models.URLField(max_length=500, blank=True)
    is_staff = models.BooleanField(default=False, help_text="May sign in to the admin console.")
    mfa_enabled = models.BooleanField(default=False)
    # The TOTP secret lives in django-otp's TOTPDevice; the spec's mfa_secret column is not kept.
    password_reset_token = models.CharField(
        max_length=128, blank=True, help_text="SHA-256 of the reset token, never the token."
    )
    password_reset_expires = models.DateTimeField(null=True, blank=True)
    password_changed_at = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["role", "status"], name="idx_users_role_status")]

    def __str__(self) -> str:
        return self.email

    @property
    def is_active(self) -> bool:  # type: ignore[override]  # Django, DRF and simplejwt read it
        return self.status == self.Status.ACTIVE

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def role_name(self) -> str:
        return self.role.name if self.role else ""

    @property
    def requires_mfa(self) -> bool:
        """The user's role requires a second factor (Role.requires_mfa)."""
        return bool(self.role and self.role.requires_mfa)

    @property
    def module_permissions(self) -> list[str]:
        return list(self.role.permissions) if self.role else []

    def has_module(self, module: str) -> bool:
        return module in self.module_permissions

    @property
    def is_read_only(self) -> bool:
        return bool(self.role and self.role.is_read_only)


class PasswordHistory(models.Model):
    """A password hash a user had, so the last few cannot be chosen again.

    Written by PasswordHistoryValidator.password_changed, which Django calls after every
    save() that follows set_password (API, admin, createsuperuser and the shell alike).
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(max_length=128, help_text="The hash, as in users.password.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "password history"
        indexes = [models.Index(fields=["user", "-created_at"], name="idx_pwhist_user_created")]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.created_at:%Y-%m-%d %H:%M}"


class UserSession(models.Model):
    """One signed-in device: the family of refresh tokens born from one login.

    Each refresh rotates the token; the session keeps the jti of the only token that may be
    presented next. Presenting any older token of the family is reuse (a stolen token, or a
    replay after logout): the whole session is revoked. Access tokens carry the session id
    (`sid`) and die with it.
    """

    class RevokedReason(models.TextChoices):
        LOGOUT = "logout", "Logged out"
        REVOKED = "revoked", "Revoked by the user"
        PASSWORD_RESET = "password_reset", "Password reset"
        PASSWORD_CHANGED = "password_changed", "Password changed elsewhere"
        REUSE_DETECTED = "reuse_detected", "Refresh token reuse detected"
        DEACTIVATED = "deactivated", "User deactivated or locked"
        MFA_RESET = "mfa_reset", "MFA reset by an administrator"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sessions")
    refresh_jti = models.CharField(
        max_length=64, unique=True, help_text="jti of the current refresh token."
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    remember_me = models.BooleanField(default=False)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=30, choices=RevokedReason.choices, blank=True)

    class Meta:
        ordering = ["-last_used_at"]
        indexes = [models.Index(fields=["user", "revoked_at"], name="idx_sessions_user_revoked")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.user_agent[:40]} ({self.created_at:%Y-%m-%d})"


class AuthRateCounter(models.Model):
    """A fixed-window counter of failed sign-ins or MFA codes, used only while the cache
    (Redis) is unreachable, so guessing stays limited when it is down (fail closed).

    Written by accounts.services.throttle; rows of past windows are pruned daily.
    """

    scope = models.CharField(max_length=20)
    ident = models.CharField(max_length=300)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "ident", "window_start"], name="uniq_auth_rate_window"
            )
        ]
        indexes = [models.Index(fields=["window_start"], name="idx_auth_rate_window")]

    def __str__(self) -> str:
        return f"{self.scope} {self.ident} @ {self.window_start:%Y-%m-%d %H:%M}: {self.count}"
