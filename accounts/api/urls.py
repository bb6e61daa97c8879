"""Accounts routes under /api/v1/ (namespace api:accounts); with or without trailing slash."""

from accounts.api import views
from intelipro.api.routers import OptionalSlashRouter, path

app_name = "accounts"

router = OptionalSlashRouter()
router.register(r"auth/sessions", views.SessionViewSet, basename="session")
router.register(r"users", views.UserViewSet, basename="user")
router.register(r"roles", views.RoleViewSet, basename="role")

urlpatterns = [
    path(r"auth/login", views.LoginView.as_view(), name="auth-login"),
    path(r"auth/refresh", views.RefreshView.as_view(), name="auth-refresh"),
    path(r"auth/logout", views.LogoutView.as_view(), name="auth-logout"),
    path(r"auth/me", views.MeView.as_view(), name="auth-me"),
    path(r"auth/change-password", views.ChangePasswordView.as_view(), name="auth-change-password"),
    path(r"auth/forgot-password", views.ForgotPasswordView.as_view(), name="auth-forgot-password"),
    path(r"auth/reset-password", views.ResetPasswordView.as_view(), name="auth-reset-password"),
    path(r"auth/mfa/setup", views.MfaSetupView.as_view(), name="auth-mfa-setup"),
    path(r"auth/mfa/verify", views.MfaVerifyView.as_view(), name="auth-mfa-verify"),
    path(r"auth/mfa/disable", views.MfaDisableView.as_view(), name="auth-mfa-disable"),
    path(r"auth/mfa/login", views.MfaLoginView.as_view(), name="auth-mfa-login"),
    *router.urls,
]
