"""MFA with django-otp: one TOTP authenticator per user plus single-use backup codes."""

import base64
import io
import time

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp.models import Device
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.exceptions import Throttled

from accounts.errors import (
    MfaAlreadyEnabledError,
    MfaCodeInvalidError,
    MfaNotEnabledError,
    MfaRequiredByRoleError,
    MfaSetupRequiredError,
    PasswordIncorrectError,
)
from accounts.models import User, UserSession
from accounts.services.throttle import limit_hit, limit_peek, limit_reset
from core.services import audit_log

MFA_SCOPE = "mfa"
TOTP_DEVICE_NAME = "Authenticator app"
BACKUP_DEVICE_NAME = "Backup codes"


def _normalise(code: str) -> str:
    return "".join(str(code or "").split()).replace("-", "").lower()


def _totp_matches(device: TOTPDevice, code: str, *, consume: bool) -> bool:
    """Check a TOTP code; `consume` also refuses a code of an already-used time step.

    Enrolment and disabling do not consume the step, so the code just typed to confirm the
    device also works for the sign-in that may follow within the same 30 seconds. Failures
    always count towards django-otp's per-device back-off.
    """
    if consume:
        return bool(device.verify_token(code))
    allowed, _info = device.verify_is_allowed()
    if not allowed:
        return False
    try:
        token = int(code)
    except ValueError:
        ok = False
    else:
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        totp.time = time.time()
        ok = totp.verify(token, device.tolerance)
    if ok:
        device.throttle_reset(commit=True)
    else:
        device.throttle_increment(commit=True)
    return ok


def mfa_code_verify(*, user: User, code: str, consume: bool) -> str | None:
    """Return "totp" or "backup_code" when `code` is valid for `user`, else None.

    A backup code is always single-use. Runs under a lock of the user's devices so two
    concurrent requests cannot spend the same code. Guessing is bounded by a fixed window
    per user (settings.THROTTLE_RATES["mfa"], 429 with Retry-After) rather than django-otp's
    growing per-device delay, which refused a right code typed a second after a wrong one.
    The window is counted in the database while the cache is down (accounts.services.throttle).
    """
    match = _mfa_code_verify_limited(user=user, code=code, consume=consume)
    return match[0] if match else None


def mfa_device_verify(*, user: User, code: str) -> Device | None:
    """The device that `code` (a TOTP or backup code, consumed) proves, else None: for
    django-otp's own login (the admin console), under the same limit as the API."""
    match = _mfa_code_verify_limited(user=user, code=code, consume=True)
    return match[1] if match else None


def _mfa_code_verify_limited(*, user: User, code: str, consume: bool) -> tuple[str, Device] | None:
    ident = f"user:{user.pk}"
    window = limit_peek(scope=MFA_SCOPE, ident=ident)
    if window.count >= window.limit:
        raise Throttled(wait=window.retry_after, detail="Too many wrong codes. Try again later.")
    result = _mfa_code_match(user=user, code=_normalise(code), consume=consume)
    if result is None:
        limit_hit(scope=MFA_SCOPE, ident=ident)
    else:
        limit_reset(scope=MFA_SCOPE, ident=ident)
    return result


def _mfa_code_match(*, user: User, code: str, consume: bool) -> tuple[str, Device] | None:
    if not code:
        return None
    with transaction.atomic():
        if code.isdigit():
            device = (
                TOTPDevice.objects.select_for_update()
                .filter(user=user, confirmed=True)
                .order_by("pk")
                .first()
            )
            ok = device is not None and _totp_matches(device, code, consume=consume)
            return ("totp", device) if ok else None
        # Backup codes always hold a letter (see _backup_codes_create), so a mistyped TOTP
        # code never counts against the backup codes' back-off.
        static = (
            StaticDevice.objects.select_for_update()
            .filter(user=user, confirmed=True)
            .order_by("pk")
            .first()
        )
        if static is not None and static.verify_token(code):
            return ("backup_code", static)
    return None


def _qr_data_uri(uri: str) -> str:
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=10)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def mfa_setup(*, user: User) -> dict[str, str]:
    """Start enrolment: a new, unconfirmed authenticator (earlier unconfirmed ones go)."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.mfa_enabled:
            raise MfaAlreadyEnabledError()
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return _setup_details(device)


def _setup_details(device: TOTPDevice) -> dict[str, str]:
    uri = device.config_url
    secret = base64.b32encode(device.bin_key).decode("ascii")
    return {"secret": secret, "otpauth_url": uri, "qr_code": _qr_data_uri(uri)}


def mfa_pending_setup(*, user: User) -> dict[str, str] | None:
    """The enrolment in progress (what mfa_setup returned), to show again after a typo."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    return _setup_details(device) if device is not None else None


def _backup_codes_create(*, user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    static = StaticDevice.objects.create(user=user, name=BACKUP_DEVICE_NAME, confirmed=True)
    codes: set[str] = set()
    while len(codes) < settings.MFA_BACKUP_CODES_COUNT:
        candidate = StaticToken.random_token()
        if not candidate.isdigit():
            codes.add(candidate)
    StaticToken.objects.bulk_create([StaticToken(device=static, token=c) for c in codes])
    return sorted(codes)


def mfa_confirm(*, user: User, code: str) -> list[str]:
    """Confirm the pending authenticator with a code from it; return the backup codes once."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.mfa_enabled:
            raise MfaAlreadyEnabledError()
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=False)
            .order_by("-pk")
            .first()
        )
        if device is None:
            raise MfaSetupRequiredError()
        ok = _totp_matches(device, _normalise(code), consume=False)
        if ok:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
            codes = _backup_codes_create(user=user)
            user.mfa_enabled = True
            user.save(update_fields=["mfa_enabled", "updated_at"])
            audit_log(action="auth.mfa_enabled", actor=user, obj=user, changes={"mfa": True})
    if not ok:  # raised outside the block: the device's failure counter must be kept
        raise MfaCodeInvalidError()
    return codes


def mfa_disable(*, user: User, password: str, code: str) -> None:
    """Turn MFA off (needs the password and a current code or a backup code)."""
    if not user.mfa_enabled:
        raise MfaNotEnabledError()
    if user.requires_mfa:
        raise MfaRequiredByRoleError()
    if not user.check_password(password):
        audit_log(action="auth.mfa_failed", actor=user, obj=user, changes={"step": "disable"})
        raise PasswordIncorrectError()
    if mfa_code_verify(user=user, code=code, consume=False) is None:
        audit_log(action="auth.mfa_failed", actor=user, obj=user, changes={"step": "disable"})
        raise MfaCodeInvalidError()
    with transaction.atomic():
        _devices_delete(user=user)
        audit_log(action="auth.mfa_disabled", actor=user, obj=user, changes={"mfa": False})


def _devices_delete(*, user: User) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    User.objects.filter(pk=user.pk).update(mfa_enabled=False, updated_at=timezone.now())
    user.mfa_enabled = False


def mfa_reset(*, user: User, actor: User) -> User:
    """An administrator removes a user's authenticator and codes (lost phone). Idempotent.

    Every session of the user is revoked too: whoever holds the lost phone may also hold a
    refresh token, and the user signs in again (and re-enrols) anyway.
    """
    from accounts.services.sessions import sessions_revoke_all

    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        had_mfa = user.mfa_enabled
        _devices_delete(user=user)
        revoked = sessions_revoke_all(user=user, reason=UserSession.RevokedReason.MFA_RESET)
        audit_log(
            action="auth.mfa_reset",
            actor=actor,
            obj=user,
            changes={"mfa": [had_mfa, False], "sessions_revoked": revoked},
        )
    return user
