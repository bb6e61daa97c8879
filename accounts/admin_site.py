"""The operations console's admin site: a second factor for everyone who needs one.

Installed as Django's default admin site (settings: INSTALLED_APPS uses
accounts.apps.InteliproAdminConfig instead of django.contrib.admin), so `admin.site` everywhere is this.

- Staff with a confirmed authenticator or backup codes give a code at sign-in.
- Every superuser, and every staff user whose role requires MFA (Role.requires_mfa: the flag,
  or the admin role while ADMIN_ROLE_MFA_REQUIRED is on, production's default), needs an
  OTP-verified session for every admin page. Those without a device sign in with their
  password and are sent to enrolment (`admin:mfa_enrol`) before anything else.
- Other staff without a device sign in with their password.

Codes are checked by accounts.services.mfa (the same per-user limit as the API, counted in
the database while Redis is down); sign-in shares the API's failed-login limit.
"""

import base64
from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.sites import AdminSite
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.views.decorators.cache import never_cache
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.admin import OTPAdminAuthenticationForm
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.exceptions import Throttled

from intelipro.api.throttling import client_ip


def mfa_required_for_admin(user: Any) -> bool:
    """Superusers always; other staff when their role requires MFA."""
    return bool(user.is_superuser or getattr(user, "requires_mfa", False))


def _is_verified(user: Any) -> bool:
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified is not None and is_verified())


def needs_enrolment(user: Any) -> bool:
    """Signed in with a password, must use MFA here, and has no authenticator yet."""
    return bool(
        user.is_authenticated
        and user.is_active
        and user.is_staff
        and mfa_required_for_admin(user)
        and not _is_verified(user)
        and not user_has_device(user)
    )


class InteliproAdminAuthenticationForm(OTPAdminAuthenticationForm):
    """Password, then the OTP code for users who have a device."""

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

    def clean_otp(self, user: Any) -> None:
        """The code through accounts' MFA service (its per-user limit), not django-otp's own
        per-device check; the device it proves marks the session verified at login."""
        from accounts.services.mfa import mfa_device_verify

        code = self.cleaned_data.get("otp_token") or ""
        user.otp_device = None
        if not code.strip():
            raise forms.ValidationError(
                self.otp_error_messages["token_required"], code="token_required"
            )
        try:
            device = mfa_device_verify(user=user, code=code)
        except Throttled as exc:
            raise forms.ValidationError(
                "Too many wrong codes. Try again in %(wait)d seconds.",
                code="throttled",
                params={"wait": int(exc.wait or 1)},
            ) from exc
        if device is None:
            raise forms.ValidationError(
                self.otp_error_messages["invalid_token"], code="invalid_token"
            )
        user.otp_device = device  # django-otp's user_logged_in handler persists it


class MfaEnrolForm(forms.Form):
    code = forms.CharField(
        label="Code from the app",
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )


def _qr_svg(details: dict[str, str]) -> str:
    # Inline SVG, not a data: URI, which the Content-Security-Policy (img-src 'self') blocks.
    return base64.b64decode(details["qr_code"].split(",", 1)[1]).decode("utf-8")


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
        if _is_verified(user):
            return True
        return not mfa_required_for_admin(user) and not user_has_device(user)

    def get_urls(self) -> list[URLPattern]:
        return [
            path("mfa/enrol/", never_cache(self.mfa_enrol_view), name="mfa_enrol"),
            *super().get_urls(),
        ]

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        if request.method == "GET" and needs_enrolment(request.user):
            return redirect("admin:mfa_enrol")
        response = super().login(request, extra_context)
        if (
            request.method == "POST"
            and response.status_code == 302
            and needs_enrolment(request.user)
        ):
            return redirect("admin:mfa_enrol")
        return response

    def mfa_enrol_view(self, request: HttpRequest) -> HttpResponse:
        """Enrol an authenticator: scan, confirm with a code, get backup codes once."""
        from accounts.errors import MfaAlreadyEnabledError, MfaCodeInvalidError
        from accounts.services.mfa import mfa_confirm, mfa_pending_setup, mfa_setup

        user = request.user
        if not needs_enrolment(user):
            target = "admin:index" if self.has_permission(request) else "admin:login"
            return HttpResponseRedirect(reverse(target, current_app=self.name))
        context = {**self.each_context(request), "title": "Set up your authenticator app"}
        form = MfaEnrolForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                codes = mfa_confirm(user=user, code=form.cleaned_data["code"])
            except MfaCodeInvalidError:
                form.add_error("code", "That code is not valid. Try the current one.")
            except MfaAlreadyEnabledError:
                return HttpResponseRedirect(reverse("admin:login", current_app=self.name))
            else:
                device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
                otp_login(request, device)  # this session is now OTP-verified
                context.update({"backup_codes": codes, "title": "Authenticator set up"})
                return TemplateResponse(request, "admin/accounts/mfa_enrol.html", context)
        details = mfa_pending_setup(user=user) if request.method == "POST" else None
        if details is None:
            try:
                details = mfa_setup(user=user)
            except MfaAlreadyEnabledError:
                return HttpResponseRedirect(reverse("admin:login", current_app=self.name))
        context.update({"form": form, "secret": details["secret"], "qr_svg": _qr_svg(details)})
        return TemplateResponse(request, "admin/accounts/mfa_enrol.html", context)
