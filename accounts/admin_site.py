"""The operations console's admin site: staff who own an authenticator must use it.

Installed as Django's default admin site (settings: INSTALLED_APPS uses
accounts.apps.InteliproAdminConfig instead of django.contrib.admin), so `admin.site` everywhere is this.
Staff with a confirmed TOTP device or backup codes give a code at sign-in; staff without one
sign in with their password (a role that requires MFA cannot sign in to the API without
enrolling, and enrolment happens there). Admin sign-in shares the API's failed-login limit.
"""

from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.sites import AdminSite
from django.http import HttpRequest
from django_otp import user_has_device
from django_otp.admin import OTPAdminAuthenticationForm
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.exceptions import Throttled

from intelipro.api.throttling import client_ip


class InteliproAdminAuthenticationForm(OTPAdminAuthenticationForm):
    """Password, then the OTP code only for users who have a device."""

    otp_token = forms.CharField(
        required=False,
        label="Authentication code",
        help_text="From your authenticator app, or a backup code.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
    )

    def clean(self) -> dict[str, Any]:
        from accounts.services.throttle import login_attempt_reserve, login_attempt_succeeded

        email = (self.cleaned_data.get("username") or "").strip().lower()
        ip = client_ip(self.request) if self.request is not None else None
        if email:
            try:
                login_attempt_reserve(email=email, ip=ip)
            except Throttled as exc:
                raise forms.ValidationError(
                    "Too many failed sign-in attempts. Try again in %(wait)d seconds.",
                    code="throttled",
                    params={"wait": int(exc.wait or 1)},
                ) from exc
        self.cleaned_data = AdminAuthenticationForm.clean(self)
        user = self.get_user()
        if user is not None and user_has_device(user):
            self.clean_otp(user)
        if email:
            login_attempt_succeeded(email=email, ip=ip)
        return self.cleaned_data

    def _chosen_device(self, user: Any) -> Any:
        device = super()._chosen_device(user)
        if device is not None:
            return device
        # No device picked in the form: a numeric code is the authenticator's, else a
        # backup code (they always contain a letter).
        token = "".join(str(self.cleaned_data.get("otp_token") or "").split()).lower()
        model = TOTPDevice if token.isdigit() else StaticDevice
        return model.objects.filter(user=user, confirmed=True).order_by("pk").first()


class InteliproAdminSite(AdminSite):
    site_header = "Intelipro Operations"
    site_title = "Intelipro Operations"
    index_title = "Operations console"
    login_form = InteliproAdminAuthenticationForm
    login_template = "admin/accounts/login.html"

    def has_permission(self, request: HttpRequest) -> bool:
        if not super().has_permission(request):
            return False
        user = request.user
        is_verified = getattr(user, "is_verified", None)
        if is_verified is not None and is_verified():
            return True
        return not user_has_device(user)
