"""Operations console for people and access: users, roles (module checkboxes), branches,
sessions. State changes go through accounts.services, so they are audited like API calls."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import password_validation
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import ReadOnlyPasswordHashField
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts import modules, services
from accounts.errors import LastAdminError, UserSelfActionError
from accounts.models import Branch, Role, User, UserSession
from accounts.services.passwords import password_set_by_admin
from accounts.services.roles import ROLE_EDITABLE_FIELDS
from accounts.services.users import ADMIN_EDITABLE_FIELDS
from core.services import audit_log


class UserCreationForm(forms.ModelForm):
    """New user: details and role; the password is optional (else an invitation is emailed)."""

    password1 = forms.CharField(
        label="Password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html()
        + "Leave empty to email the user a link to choose their own.",
    )
    password2 = forms.CharField(
        label="Password confirmation",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    class Meta:
        model = User
        fields = ("email", "first_name", "last_name", "role", "branch", "department", "job_title")

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"]).strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("A user with this email already exists.")
        return email

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 or p2:
            if p1 != p2:
                self.add_error("password2", "The two passwords differ.")
            else:
                probe = User(
                    email=cleaned.get("email") or "",
                    first_name=cleaned.get("first_name") or "",
                    last_name=cleaned.get("last_name") or "",
                )
                try:
                    password_validation.validate_password(p1, probe)
                except forms.ValidationError as exc:
                    self.add_error("password1", exc)
        return cleaned


class UserChangeForm(forms.ModelForm):
    avatar_url = forms.URLField(max_length=500, required=False, assume_scheme="https")
    password = ReadOnlyPasswordHashField(
        label="Password",
        help_text='Raw passwords are not stored. Use <a href="../password/">this form</a>.',
    )

    class Meta:
        model = User
        fields = (
            "email",
            "password",
            "first_name",
            "last_name",
            "phone",
            "job_title",
            "avatar_url",
            "role",
            "branch",
            "department",
            "is_staff",
            "is_superuser",
        )


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = (
        "email",
        "full_name",
        "role",
        "branch",
        "department",
        "status",
        "mfa_enabled",
        "is_staff",
        "last_login",
    )
    list_filter = ("status", "role", "branch", "department", "mfa_enabled", "is_staff")
    search_fields = ("email", "first_name", "last_name", "phone")
    list_select_related = ("role", "branch")
    ordering = ("email",)
    autocomplete_fields = ("branch",)
    readonly_fields = (
        "status",
        "mfa_enabled",
        "last_login",
        "password_changed_at",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("first_name", "last_name", "phone", "job_title", "avatar_url")}),
        ("Organisation", {"fields": ("role", "branch", "department")}),
        (
            "Access",
            {
                "fields": ("status", "is_staff", "is_superuser", "mfa_enabled"),
                "description": "Change the status and MFA with the actions of the user list.",
            },
        ),
        ("Dates", {"fields": ("last_login", "password_changed_at", "created_at", "updated_at")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "email",
                    "first_name",
                    "last_name",
                    "role",
                    "branch",
                    "department",
                    "job_title",
                    "password1",
                    "password2",
                ),
            },
        ),
    )
    filter_horizontal = ()
    actions = ("activate_users", "deactivate_users", "reset_mfa")

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return False  # history must keep its actor: deactivate instead

    def save_model(
        self, request: HttpRequest, obj: User, form: forms.ModelForm, change: bool
    ) -> None:
        if not change:
            data = form.cleaned_data
            user = services.user_create(
                actor=request.user,
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                role=data["role"],
                branch=data.get("branch"),
                department=data.get("department") or "",
                job_title=data.get("job_title") or "",
                password=data.get("password1") or None,
            )
            obj.pk = user.pk
            obj.password = user.password
            obj._state.adding = False
            return
        data = {
            name: form.cleaned_data[name]
            for name in form.changed_data
            if name in ADMIN_EDITABLE_FIELDS and name in form.cleaned_data
        }
        other = [n for n in form.changed_data if n not in ADMIN_EDITABLE_FIELDS and n != "password"]
        try:
            if data:
                services.user_update(actor=request.user, user=obj, data=data)
        except (UserSelfActionError, LastAdminError) as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        if other:  # is_superuser and the like: plain fields, audited here
            User.objects.filter(pk=obj.pk).update(**{n: form.cleaned_data[n] for n in other})
            audit_log(
                action="user.updated",
                actor=request.user,
                obj=obj,
                changes={n: str(form.cleaned_data[n]) for n in other},
            )

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> Any:
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            user = self.get_object(request, unquote(id))
            if user is not None:
                password_set_by_admin(actor=request.user, user=user)
        return response

    def save_related(
        self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool
    ) -> None:
        # Django groups and permissions are not used: the role decides.
        return

    def _bulk(self, request: HttpRequest, queryset: QuerySet[User], fn: Any, verb: str) -> None:
        done, refused = 0, []
        for user in queryset.select_related("role"):
            try:
                fn(actor=request.user, user=user)
                done += 1
            except (UserSelfActionError, LastAdminError) as exc:
                refused.append(f"{user.email}: {exc.message}")
        self.message_user(request, f"{done} user(s) {verb}.", messages.SUCCESS)
        for line in refused:
            self.message_user(request, line, messages.ERROR)

    @admin.action(description="Activate selected users")
    def activate_users(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self._bulk(request, queryset, services.user_activate, "activated")

    @admin.action(description="Deactivate selected users (signs them out everywhere)")
    def deactivate_users(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self._bulk(request, queryset, services.user_deactivate, "deactivated")

    @admin.action(description="Reset MFA of selected users (remove authenticator and codes)")
    def reset_mfa(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self._bulk(
            request,
            queryset,
            lambda *, actor, user: services.mfa_reset(user=user, actor=actor),
            "reset",
        )


class RoleAdminForm(forms.ModelForm):
    """A role with one checkbox per module of the permission matrix."""

    permissions = forms.MultipleChoiceField(
        choices=[],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Modules",
    )

    class Meta:
        model = Role
        fields = (
            "name",
            "display_name",
            "description",
            "permissions",
            "is_read_only",
            "mfa_required",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["permissions"].choices = [(m, m.capitalize()) for m in modules.ALL_MODULES]
        if self.instance.pk:
            self.fields["name"].disabled = True  # code and tokens refer to roles by name


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    form = RoleAdminForm
    list_display = ("name", "display_name", "modules", "is_read_only", "mfa_required")
    list_filter = ("is_read_only", "mfa_required")
    search_fields = ("name", "display_name")

    @admin.display(description="Modules")
    def modules(self, role: Role) -> str:
        return ", ".join(role.permissions)

    def has_delete_permission(self, request: HttpRequest, obj: Role | None = None) -> bool:
        return False  # users keep a PROTECTed FK to their role

    def save_model(
        self, request: HttpRequest, obj: Role, form: forms.ModelForm, change: bool
    ) -> None:
        if not change:
            super().save_model(request, obj, form, change)
            audit_log(
                action="role.created",
                actor=request.user,
                obj=obj,
                changes={"name": obj.name, "permissions": obj.permissions},
            )
            return
        data = {n: form.cleaned_data[n] for n in form.changed_data if n in ROLE_EDITABLE_FIELDS}
        if data:
            from accounts.errors import RoleProtectedError

            try:
                services.role_update(actor=request.user, role=obj, data=data)
            except RoleProtectedError as exc:
                self.message_user(request, exc.message, messages.ERROR)


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "region", "manager")
    list_filter = ("region",)
    search_fields = ("code", "name", "region")
    list_select_related = ("manager",)
    autocomplete_fields = ("manager",)


@admin.register(UserSession)
class UserSessionAdmin(admin.ModelAdmin):
    """Signed-in devices; revoke one (or many) to sign them out."""

    list_display = (
        "user",
        "created_at",
        "last_used_at",
        "expires_at",
        "ip_address",
        "short_user_agent",
        "revoked_at",
        "revoked_reason",
    )
    list_filter = ("revoked_reason", "remember_me")
    search_fields = ("user__email", "ip_address", "user_agent")
    list_select_related = ("user",)
    readonly_fields = [f.name for f in UserSession._meta.fields]
    actions = ("revoke_sessions",)

    @admin.display(description="User agent")
    def short_user_agent(self, session: UserSession) -> str:
        return session.user_agent[:60]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: UserSession | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: UserSession | None = None) -> bool:
        return False

    @admin.action(description="Revoke selected sessions (sign those devices out)")
    def revoke_sessions(self, request: HttpRequest, queryset: QuerySet[UserSession]) -> None:
        from accounts.errors import SessionNotFoundError

        done = 0
        for session in queryset.filter(revoked_at__isnull=True).select_related("user"):
            try:
                services.session_revoke(
                    session_id=session.pk,
                    user=session.user,
                    reason=UserSession.RevokedReason.REVOKED,
                    actor=request.user,
                )
                done += 1
            except SessionNotFoundError:
                continue
        self.message_user(request, f"{done} session(s) revoked.", messages.SUCCESS)
