"""Production: no defaults for secrets or hosts; refuse to start when misconfigured."""

from django.core.exceptions import ImproperlyConfigured

from intelipro.settings.base import *

SECRET_KEY = env("DJANGO_SECRET_KEY")  # no default: refuse to start without it
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
DEBUG = env.bool("DJANGO_DEBUG", default=False)

_KNOWN_DEV_KEYS = ("insecure-dev-key", "local-dev-secret-key", "change-me", "test-secret-key")
if DEBUG:
    raise ImproperlyConfigured("DJANGO_DEBUG must be False in production settings.")
if len(SECRET_KEY) < 32 or any(marker in SECRET_KEY for marker in _KNOWN_DEV_KEYS):
    raise ImproperlyConfigured("DJANGO_SECRET_KEY is a default or too short (min 32 chars).")
if JWT_SECRET == "" or any(marker in JWT_SECRET for marker in _KNOWN_DEV_KEYS):
    raise ImproperlyConfigured("JWT_SECRET is a default value.")

# Behind nginx terminating TLS.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^health$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
STORAGES["staticfiles"]["BACKEND"] = "whitenoise.storage.CompressedManifestStaticFilesStorage"
EMBEDDED_WORKER = False
