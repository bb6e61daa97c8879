"""Shapes of the accounts API: inputs are validated here, outputs formatted; no writes."""

from typing import Any

from rest_framework import serializers

from accounts import modules
from accounts.models import Branch, Role, User, UserSession
from intelipro.api.fields import StrictBooleanField, StrictCharField, StrictStringsMixin

# --- Sign-in -------------------------------------------------------------------------------


class LoginInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=255)
    password = StrictCharField(max_length=256, trim_whitespace=False)
    remember_me = StrictBooleanField(required=False, default=False)


class LoginUserSerializer(serializers.ModelSerializer):
    """The user as the login response shows it (spec: id, email, names, role, permissions)."""

    role = StrictCharField(source="role_name", read_only=True)
    permissions = serializers.ListField(
        source="module_permissions", child=StrictCharField(), read_only=True
    )

    class Meta:
        model = User
        fields = ["id", "email", "first_name", "last_name", "role", "permissions"]
        read_only_fields = fields


class TokenPairSerializer(serializers.Serializer):
    access_token = StrictCharField()
    refresh_token = StrictCharField()
    expires_in = serializers.IntegerField(help_text="Seconds until the access token expires.")
    user = LoginUserSerializer()


class MfaChallengeSerializer(serializers.Serializer):
    mfa_required = serializers.BooleanField(help_text="Always true: complete the MFA step.")
    mfa_setup_required = serializers.BooleanField(
        help_text=(
            "True when the role requires MFA and the user has no authenticator yet: call "
            "POST /auth/mfa/setup then /auth/mfa/verify with this mfa_token."
        )
    )
    mfa_token = StrictCharField(help_text="Single-use, valid for `expires_in` seconds.")
    expires_in = serializers.IntegerField()


class RefreshInputSerializer(serializers.Serializer):
    refresh_token = StrictCharField()


class LogoutInputSerializer(serializers.Serializer):
    refresh_token = StrictCharField(
        required=False,
        allow_blank=True,
        help_text="The refresh token to retire; without it, the caller's current session.",
    )


class MessageSerializer(serializers.Serializer):
    message = StrictCharField()


# --- Profile and passwords -----------------------------------------------------------------


class UserSerializer(serializers.ModelSerializer):
    """A user as /auth/me and /users show it."""

    role = StrictCharField(source="role_name", read_only=True, allow_null=True)
    role_display_name = serializers.SerializerMethodField()
    permissions = serializers.ListField(
        source="module_permissions", child=StrictCharField(), read_only=True
    )
    is_read_only = serializers.BooleanField(read_only=True)
    full_name = StrictCharField(read_only=True)
    branch_code = serializers.SerializerMethodField()
    branch_name = serializers.SerializerMethodField()

    # Stored as entered: an http(s) URL or empty, so not `format: uri` in the schema.
    avatar_url = StrictCharField(read_only=True, help_text="An http(s) URL, or empty.")

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "first_name",
            "last_name",
            "full_name",
            "phone",
            "department",
            "job_title",
            "role",
            "role_display_name",
            "permissions",
            "is_read_only",
            "branch",
            "branch_code",
            "branch_name",
            "status",
            "avatar_url",
            "is_staff",
            "mfa_enabled",
            "last_login",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_role_display_name(self, user: User) -> str:
        return user.role.display_name if user.role else ""

    def get_branch_code(self, user: User) -> str | None:
        return user.branch.code if user.branch else None

    def get_branch_name(self, user: User) -> str | None:
        return user.branch.name if user.branch else None


class ProfileUpdateInputSerializer(serializers.Serializer):
    first_name = StrictCharField(max_length=100, required=False)
    last_name = StrictCharField(max_length=100, required=False)
    phone = StrictCharField(max_length=20, required=False, allow_blank=True)
    avatar_url = serializers.URLField(max_length=500, required=False, allow_blank=True)


class ChangePasswordInputSerializer(serializers.Serializer):
    current_password = StrictCharField(max_length=256, trim_whitespace=False, required=False)
    old_password = StrictCharField(
        max_length=256,
        trim_whitespace=False,
        required=False,
        help_text="Alias of current_password.",
    )
    new_password = StrictCharField(max_length=256, trim_whitespace=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        current = attrs.pop("current_password", None) or attrs.pop("old_password", None)
        attrs.pop("old_password", None)
        if not current:
            raise serializers.ValidationError({"current_password": ["This field is required."]})
        attrs["current_password"] = current
        return attrs


class ForgotPasswordInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=255)


class ResetPasswordInputSerializer(serializers.Serializer):
    token = StrictCharField(max_length=200)
    password = StrictCharField(max_length=256, trim_whitespace=False, required=False)
    new_password = StrictCharField(
        max_length=256, trim_whitespace=False, required=False, help_text="Alias of password."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        password = attrs.pop("password", None) or attrs.pop("new_password", None)
        attrs.pop("new_password", None)
        if not password:
            raise serializers.ValidationError({"password": ["This field is required."]})
        attrs["password"] = password
        return attrs


# --- Sessions ------------------------------------------------------------------------------


class SessionSerializer(serializers.ModelSerializer):
    current = serializers.SerializerMethodField(
        help_text="True for the session of the token making this request."
    )

    class Meta:
        model = UserSession
        fields = [
            "id",
            "created_at",
            "last_used_at",
            "expires_at",
            "ip_address",
            "user_agent",
            "remember_me",
            "current",
        ]
        read_only_fields = fields

    def get_current(self, session: UserSession) -> bool:
        return str(session.pk) == (self.context.get("current_session_id") or "")


# --- MFA -----------------------------------------------------------------------------------


class MfaSetupInputSerializer(serializers.Serializer):
    mfa_token = StrictCharField(
        required=False,
        help_text="Only for enrolment required by the role, before sign-in completes.",
    )


class MfaSetupSerializer(serializers.Serializer):
    secret = StrictCharField(help_text="Base32 secret, for manual entry.")
    otpauth_url = StrictCharField()
    qr_code = StrictCharField(help_text="data:image/svg+xml;base64,... of otpauth_url.")


class MfaVerifyInputSerializer(serializers.Serializer):
    code = StrictCharField(max_length=32)
    mfa_token = StrictCharField(required=False)


class MfaVerifySerializer(serializers.Serializer):
    mfa_enabled = serializers.BooleanField()
    backup_codes = serializers.ListField(
        child=StrictCharField(), help_text="Shown once; each works once."
    )
    access_token = StrictCharField(required=False, help_text="Enrolment at sign-in only.")
    refresh_token = StrictCharField(required=False)
    expires_in = serializers.IntegerField(required=False)
    user = LoginUserSerializer(required=False)


class MfaDisableInputSerializer(serializers.Serializer):
    password = StrictCharField(max_length=256, trim_whitespace=False)
    code = StrictCharField(max_length=32, help_text="A current TOTP code or a backup code.")


class MfaStatusSerializer(serializers.Serializer):
    mfa_enabled = serializers.BooleanField()


class MfaLoginInputSerializer(serializers.Serializer):
    mfa_token = StrictCharField()
    code = StrictCharField(max_length=32, help_text="A TOTP code or a backup code.")


# --- Users and roles (admin) ---------------------------------------------------------------


class UserCreateInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=255)
    first_name = StrictCharField(max_length=100)
    last_name = StrictCharField(max_length=100)
    role = serializers.SlugRelatedField(slug_field="name", queryset=Role.objects.all())
    branch = serializers.PrimaryKeyRelatedField(
        queryset=Branch.objects.all(), required=False, allow_null=True
    )
    phone = StrictCharField(max_length=20, required=False, allow_blank=True, default="")
    department = StrictCharField(max_length=100, required=False, allow_blank=True, default="")
    job_title = StrictCharField(max_length=100, required=False, allow_blank=True, default="")
    avatar_url = serializers.URLField(max_length=500, required=False, allow_blank=True, default="")
    is_staff = StrictBooleanField(required=False, default=False)
    password = StrictCharField(
        max_length=256,
        trim_whitespace=False,
        required=False,
        allow_blank=True,
        help_text="Optional: without it the user is emailed a link to choose one.",
    )


class UserUpdateInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=255, required=False)
    first_name = StrictCharField(max_length=100, required=False)
    last_name = StrictCharField(max_length=100, required=False)
    role = serializers.SlugRelatedField(
        slug_field="name", queryset=Role.objects.all(), required=False
    )
    branch = serializers.PrimaryKeyRelatedField(
        queryset=Branch.objects.all(), required=False, allow_null=True
    )
    phone = StrictCharField(max_length=20, required=False, allow_blank=True)
    department = StrictCharField(max_length=100, required=False, allow_blank=True)
    job_title = StrictCharField(max_length=100, required=False, allow_blank=True)
    avatar_url = serializers.URLField(max_length=500, required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=User.Status.choices, required=False)
    is_staff = StrictBooleanField(required=False)


class RoleSerializer(StrictStringsMixin, serializers.ModelSerializer):
    permissions = serializers.ListField(child=StrictCharField())
    user_count = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = Role
        fields = [
            "id",
            "name",
            "display_name",
            "description",
            "permissions",
            "is_read_only",
            "mfa_required",
            "user_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ModuleChoiceField(serializers.ChoiceField):
    """A module name of the matrix; choices are read when validating, so later apps count."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=modules.ALL_MODULES, **kwargs)

    def to_internal_value(self, data: Any) -> Any:
        self.choices = modules.ALL_MODULES
        return super().to_internal_value(data)


class RoleUpdateInputSerializer(serializers.Serializer):
    display_name = StrictCharField(max_length=100, required=False)
    description = StrictCharField(required=False, allow_blank=True)
    permissions = serializers.ListField(child=ModuleChoiceField(), required=False)
    mfa_required = StrictBooleanField(required=False)
    is_read_only = StrictBooleanField(required=False)
