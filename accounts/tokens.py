"""JWTs with the spec's claims: sub, email, role, permissions, iat, exp."""

from typing import TYPE_CHECKING

from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

if TYPE_CHECKING:
    from accounts.models import User


def _add_claims(token: AccessToken | RefreshToken, user: "User") -> None:
    token["sub"] = str(user.pk)
    token["email"] = user.email
    token["role"] = user.role_name
    token["permissions"] = user.module_permissions


def refresh_token_for(user: "User") -> RefreshToken:
    token = RefreshToken.for_user(user)
    _add_claims(token, user)
    return token


def access_token_for(user: "User") -> AccessToken:
    token = AccessToken.for_user(user)
    _add_claims(token, user)
    return token
