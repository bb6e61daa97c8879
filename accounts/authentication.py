"""Bearer JWT authentication that also honours session revocation.

One query per request loads the user with their role (the permission matrix needs it) and
whether the token's session is still live. Every access token must name its session (`sid`):
one without it is refused with 401. A token of a revoked session (logout, password
reset, deactivation, "sign out that device") is refused at once, not when it expires.
"""

import uuid
from typing import Any

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token

from accounts.models import User, UserSession
from accounts.tokens import SESSION_CLAIM


class JWTAuthentication(authentication.JWTAuthentication):
    def get_user(self, validated_token: Token) -> Any:
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError as exc:
            raise InvalidToken(
                str(_("Token contained no recognizable user identification"))
            ) from exc
        # Every access token belongs to a session (a login): one without the claim was not
        # minted by us through a session, e.g. forged with a leaked or placeholder key.
        try:
            sid = uuid.UUID(str(validated_token[SESSION_CLAIM]))
        except (KeyError, ValueError) as exc:
            raise InvalidToken(str(_("Token has no valid session"))) from exc
        live = UserSession.objects.filter(pk=sid, user=OuterRef("pk"), revoked_at__isnull=True)
        queryset = User.objects.select_related("role").annotate(session_live=Exists(live))
        user = queryset.filter(**{api_settings.USER_ID_FIELD: user_id}).first()
        if user is None:
            raise AuthenticationFailed(str(_("User not found")), code="user_not_found")
        if not user.is_active:
            raise AuthenticationFailed(str(_("User is inactive")), code="user_inactive")
        if not user.session_live:
            raise AuthenticationFailed(str(_("This session has ended.")), code="session_revoked")
        user.token_session_id = str(sid)  # type: ignore[attr-defined]  # read by the session views
        return user


class JWTAuthenticationScheme(SimpleJWTScheme):
    """OpenAPI: the same bearer scheme as simplejwt's (`jwtAuth`)."""

    target_class = "accounts.authentication.JWTAuthentication"
    name = "jwtAuth"
