"""Accounts API: sign-in, tokens, profile, passwords, sessions, MFA, users and roles."""

from typing import Any

from django.conf import settings
from django.db.models import Count, QuerySet
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import modules, selectors, services, tokens
from accounts.api import serializers as s
from accounts.api.filters import UserFilter
from accounts.models import Role, User, UserSession
from accounts.permissions import ModulePermission
from accounts.services.auth import LoginResult, login_complete, mfa_token_consume, mfa_token_user

AUTH = ["auth"]

LOGIN_RESPONSE = PolymorphicProxySerializer(
    component_name="LoginResponse",
    serializers=[s.TokenPairSerializer, s.MfaChallengeSerializer],
    resource_type_field_name=None,
)


def _login_body(result: LoginResult) -> dict[str, Any]:
    if result.mfa_required:
        return {
            "mfa_required": True,
            "mfa_setup_required": result.mfa_setup_required,
            "mfa_token": result.mfa_token,
            "expires_in": settings.MFA_TOKEN_LIFETIME,
        }
    return _token_body(result)


def _token_body(result: LoginResult) -> dict[str, Any]:
    assert result.refresh is not None  # noqa: S101 - a completed login always has tokens
    return {
        "access_token": str(tokens.access_token_from(result.refresh)),
        "refresh_token": str(result.refresh),
        "expires_in": tokens.access_token_lifetime_seconds(),
        "user": s.LoginUserSerializer(result.user).data,
    }


def _session_id(request: Request) -> str | None:
    return getattr(request.user, "token_session_id", None)


class LoginView(APIView):
    authentication_classes: list = []  # a stale Authorization header must not block sign-in
    permission_classes = [AllowAny]

    @extend_schema(
        tags=AUTH,
        summary="Sign in with email and password",
        description=(
            "Returns tokens, or `{mfa_required: true, mfa_token}` when the account has MFA "
            "(complete with POST /auth/mfa/login) or its role requires MFA and none is set up "
            "(`mfa_setup_required: true`: enrol with /auth/mfa/setup and /auth/mfa/verify). "
            "Wrong password and unknown email give the same 401 `invalid_credentials`; the 6th "
            "failed attempt in 15 minutes per account or IP answers 429 with Retry-After."
        ),
        request=s.LoginInputSerializer,
        responses={200: LOGIN_RESPONSE},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        payload = s.LoginInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        result = services.auth_login(**payload.validated_data)
        return Response(_login_body(result))


class RefreshView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        tags=AUTH,
        summary="Exchange a refresh token for new tokens (rotation)",
        description=(
            "The presented refresh token is retired. Presenting a retired one again (after "
            "rotation or logout) answers 401 `token_not_valid`, is audited, and ends the session."
        ),
        request=s.RefreshInputSerializer,
        responses={200: s.TokenPairSerializer},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        payload = s.RefreshInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        session, refresh = services.session_refresh(
            raw_token=payload.validated_data["refresh_token"]
        )
        return Response(_token_body(LoginResult(user=session.user, refresh=refresh)))


class LogoutView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        tags=AUTH,
        summary="Sign out",
        description=(
            "Retires the given refresh token (its session ends; refreshing with it fails with "
            "401), or the current session when no token is given. Idempotent."
        ),
        request=s.LogoutInputSerializer,
        responses={200: s.MessageSerializer},
    )
    def post(self, request: Request) -> Response:
        payload = s.LogoutInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        raw = payload.validated_data.get("refresh_token") or None
        user = request.user if request.user.is_authenticated else None
        if raw is None and user is None:
            raise NotAuthenticated()
        services.session_logout(user=user, raw_token=raw, session_id=_session_id(request))
        return Response({"message": "Logged out."})


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=AUTH, summary="The signed-in user", responses={200: s.UserSerializer})
    def get(self, request: Request) -> Response:
        return Response(s.UserSerializer(selectors.user_get(pk=request.user.pk)).data)

    @extend_schema(
        tags=AUTH,
        summary="Update one's own names, phone and avatar",
        request=s.ProfileUpdateInputSerializer,
        responses={200: s.UserSerializer},
    )
    def put(self, request: Request) -> Response:
        payload = s.ProfileUpdateInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        user = services.profile_update(user=request.user, data=payload.validated_data)
        return Response(s.UserSerializer(user).data)

    @extend_schema(
        tags=AUTH,
        summary="Update one's own names, phone and avatar (partial)",
        request=s.ProfileUpdateInputSerializer,
        responses={200: s.UserSerializer},
    )
    def patch(self, request: Request) -> Response:
        return self.put(request)


class ChangePasswordView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=AUTH,
        summary="Change one's own password",
        description=(
            "Needs the current password (400 `invalid_password` when wrong). The new one must "
            "have 12+ characters, not be common, not resemble the email or names and not be one "
            "of the last 5 (400 `validation_error`). Every other session is signed out."
        ),
        request=s.ChangePasswordInputSerializer,
        responses={200: s.MessageSerializer},
    )
    def post(self, request: Request) -> Response:
        payload = s.ChangePasswordInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.password_change(
            user=request.user,
            current_session_id=_session_id(request),
            **payload.validated_data,
        )
        return Response({"message": "Password changed."})


class ForgotPasswordView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        tags=AUTH,
        summary="Email a password reset link",
        description=(
            "Always 200 with the same body, whether or not the email belongs to an account. "
            "The link (FRONTEND_URL + PASSWORD_RESET_PATH?token=...) works once, for 1 hour."
        ),
        request=s.ForgotPasswordInputSerializer,
        responses={200: s.MessageSerializer},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        payload = s.ForgotPasswordInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.password_reset_request(email=payload.validated_data["email"])
        return Response(
            {"message": "If an account exists for this email, a reset link has been sent."}
        )


class ResetPasswordView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        tags=AUTH,
        summary="Set a new password with a reset token",
        description=(
            "400 `invalid_token` when the token is unknown, used or expired. On success every "
            "session (refresh token) of the user is revoked."
        ),
        request=s.ResetPasswordInputSerializer,
        responses={200: s.MessageSerializer},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        payload = s.ResetPasswordInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.password_reset_confirm(**payload.validated_data)
        return Response({"message": "Password reset. Sign in with your new password."})


@extend_schema(tags=AUTH)
class SessionViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """The caller's signed-in devices (live refresh tokens)."""

    serializer_class = s.SessionSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = None
    filter_backends: list = []
    lookup_value_regex = "[0-9a-fA-F-]{32,36}"

    def get_queryset(self) -> QuerySet[UserSession]:
        return selectors.session_list_live(user=self.request.user)

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "current_session_id": _session_id(self.request)}

    @extend_schema(summary="List the caller's live sessions")
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="Revoke one of the caller's sessions", responses={204: None})
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        session = self.get_object()
        services.session_revoke(
            session_id=session.pk, user=request.user, reason=UserSession.RevokedReason.REVOKED
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


def _mfa_actor(request: Request, mfa_token: str | None) -> tuple[User, dict[str, Any] | None]:
    """The signed-in user, or the user of an enrolment mfa_token (role requires MFA)."""
    if request.user.is_authenticated:
        return request.user, None
    if mfa_token:
        return mfa_token_user(mfa_token=mfa_token, purpose=tokens.MFA_PURPOSE_ENROL)
    raise NotAuthenticated()


class MfaSetupView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        tags=AUTH,
        summary="Start MFA enrolment",
        description=(
            "Creates an unconfirmed TOTP authenticator and returns its otpauth:// URI and a QR "
            "code (SVG data URI). Bearer token, or the mfa_token of a login that answered "
            "`mfa_setup_required`. 409 `mfa_already_enabled` when MFA is on."
        ),
        request=s.MfaSetupInputSerializer,
        responses={200: s.MfaSetupSerializer},
    )
    def post(self, request: Request) -> Response:
        payload = s.MfaSetupInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        user, _mfa = _mfa_actor(request, payload.validated_data.get("mfa_token"))
        return Response(services.mfa_setup(user=user))


class MfaVerifyView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        tags=AUTH,
        summary="Confirm the authenticator and get backup codes",
        description=(
            "Turns MFA on with a code from the new authenticator and returns 10 single-use "
            "backup codes, once. With an enrolment mfa_token the sign-in also completes and "
            "tokens are returned. 400 `invalid_mfa_code`, 409 `mfa_setup_required`."
        ),
        request=s.MfaVerifyInputSerializer,
        responses={200: s.MfaVerifySerializer},
    )
    def post(self, request: Request) -> Response:
        payload = s.MfaVerifyInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        user, mfa = _mfa_actor(request, payload.validated_data.get("mfa_token"))
        codes = services.mfa_confirm(user=user, code=payload.validated_data["code"])
        body: dict[str, Any] = {"mfa_enabled": True, "backup_codes": codes}
        if mfa is not None:
            mfa_token_consume(mfa)
            user.refresh_from_db()
            result = login_complete(
                user=user, remember_me=bool(mfa.get("remember_me")), method="mfa_enrolment"
            )
            body.update(_token_body(result))
        return Response(body)


class MfaDisableView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=AUTH,
        summary="Turn MFA off",
        description=(
            "Needs the password (400 `invalid_password`) and a current code or backup code "
            "(400 `invalid_mfa_code`). 409 `mfa_required_by_role` when the role requires MFA."
        ),
        request=s.MfaDisableInputSerializer,
        responses={200: s.MfaStatusSerializer},
    )
    def post(self, request: Request) -> Response:
        payload = s.MfaDisableInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.mfa_disable(user=request.user, **payload.validated_data)
        return Response({"mfa_enabled": False})


class MfaLoginView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        tags=AUTH,
        summary="Complete sign-in with a TOTP code or a backup code",
        description=(
            "401 `invalid_mfa_token` (expired, used, or not a login token), 401 "
            "`invalid_mfa_code`; failed codes count towards the login limit (429)."
        ),
        request=s.MfaLoginInputSerializer,
        responses={200: s.TokenPairSerializer},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        payload = s.MfaLoginInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        result = services.auth_mfa_login(**payload.validated_data)
        return Response(_token_body(result))


@extend_schema(tags=["users"])
class UserViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """User management (module `users`: administrators). No hard delete."""

    serializer_class = s.UserSerializer
    permission_classes = [IsAuthenticated, ModulePermission]
    module = modules.USERS
    filterset_class = UserFilter
    pagination_items_key = "users"

    def get_queryset(self) -> QuerySet[User]:
        return selectors.user_list()

    @extend_schema(summary="List users (filters: role, status, department, search)")
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="Get a user")
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        summary="Create a user",
        description="Without `password`, the user is emailed a link to choose one. 409 `email_taken`.",
        request=s.UserCreateInputSerializer,
        responses={201: s.UserSerializer},
    )
    def create(self, request: Request) -> Response:
        payload = s.UserCreateInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        user = services.user_create(actor=request.user, **payload.validated_data)
        return Response(
            s.UserSerializer(selectors.user_get(pk=user.pk)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Update a user",
        description=(
            "Any subset of the fields. Changing `status` to inactive/locked signs the user out "
            "everywhere. 409 `cannot_change_self`, `last_admin`, `email_taken`."
        ),
        request=s.UserUpdateInputSerializer,
        responses={200: s.UserSerializer},
    )
    def update(self, request: Request, pk: str | None = None, partial: bool = False) -> Response:
        user = self.get_object()
        payload = s.UserUpdateInputSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        services.user_update(actor=request.user, user=user, data=payload.validated_data)
        return Response(s.UserSerializer(selectors.user_get(pk=user.pk)).data)

    @extend_schema(
        summary="Update a user (partial)",
        request=s.UserUpdateInputSerializer,
        responses={200: s.UserSerializer},
    )
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        return self.update(request, pk=pk, partial=True)

    @extend_schema(summary="Deactivate a user", request=None, responses={200: s.UserSerializer})
    @action(detail=True, methods=["post"])
    def deactivate(self, request: Request, pk: str | None = None) -> Response:
        user = services.user_deactivate(actor=request.user, user=self.get_object())
        return Response(s.UserSerializer(selectors.user_get(pk=user.pk)).data)

    @extend_schema(summary="Activate a user", request=None, responses={200: s.UserSerializer})
    @action(detail=True, methods=["post"])
    def activate(self, request: Request, pk: str | None = None) -> Response:
        user = services.user_activate(actor=request.user, user=self.get_object())
        return Response(s.UserSerializer(selectors.user_get(pk=user.pk)).data)

    @extend_schema(
        summary="Remove a user's authenticator and backup codes",
        request=None,
        responses={200: s.UserSerializer},
    )
    @action(detail=True, methods=["post"], url_path="reset-mfa")
    def reset_mfa(self, request: Request, pk: str | None = None) -> Response:
        user = services.mfa_reset(user=self.get_object(), actor=request.user)
        return Response(s.UserSerializer(selectors.user_get(pk=user.pk)).data)


@extend_schema(tags=["users"])
class RoleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Roles and their modules (module `users`: administrators). The list is not paginated."""

    serializer_class = s.RoleSerializer
    permission_classes = [IsAuthenticated, ModulePermission]
    module = modules.USERS
    pagination_class = None
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[Role]:
        return selectors.role_list().annotate(user_count=Count("users"))

    @extend_schema(summary="List roles (a plain list)")
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="Get a role")
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        summary="Change a role's modules or flags",
        description=(
            f"`permissions` is a list of module names ({', '.join(modules.ALL_MODULES)}). "
            "409 `role_protected` when the admin role would lose `users` or become read-only."
        ),
        request=s.RoleUpdateInputSerializer,
        responses={200: s.RoleSerializer},
    )
    def update(self, request: Request, pk: str | None = None, partial: bool = False) -> Response:
        role = self.get_object()
        payload = s.RoleUpdateInputSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        services.role_update(actor=request.user, role=role, data=payload.validated_data)
        return Response(s.RoleSerializer(self.get_queryset().get(pk=role.pk)).data)

    @extend_schema(
        summary="Change a role's modules or flags (partial)",
        request=s.RoleUpdateInputSerializer,
        responses={200: s.RoleSerializer},
    )
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        return self.update(request, pk=pk, partial=True)
