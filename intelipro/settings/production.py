"""Production: no defaults for secrets or hosts; refuse to start when misconfigured."""

from django.core.exceptions import ImproperlyConfigured

from intelipro.settings.base import *
from intelipro.settings.secrets_policy import weak_secret_reason

SECRET_KEY = env("DJANGO_SECRET_KEY")  # no default: refuse to start without it
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
# base.py defaulted JWT_SECRET to its development key; here it defaults to the real one.
JWT_SECRET = env("JWT_SECRET", default=SECRET_KEY)
SIMPLE_JWT["SIGNING_KEY"] = JWT_SECRET

if DEBUG:
    raise ImproperlyConfigured("DJANGO_DEBUG must be False in production settings.")
for _name, _value in (("DJANGO_SECRET_KEY", SECRET_KEY), ("JWT_SECRET", JWT_SECRET)):
    _reason = weak_secret_reason(_value, env_example=BASE_DIR / ".env.example")
    if _reason:
        raise ImproperlyConfigured(f"{_name} is {_reason}; set a random value of 32+ characters.")

# Column encryption: no defaults. A fake dev/test key (all start with base64 "FAKE-") or an
# empty list would leave PII readable by anyone with the repository.
_FAKE_FIELD_KEY_PREFIX = "RkFLRS"  # base64 of "FAKE"
if not FIELD_ENCRYPTION_KEYS or any(
    k.startswith(_FAKE_FIELD_KEY_PREFIX) for k in FIELD_ENCRYPTION_KEYS
):
    raise ImproperlyConfigured(
        "FIELD_ENCRYPTION_KEYS must list one or more real Fernet keys (newest first)."
    )
try:
    from cryptography.fernet import Fernet

    for _key in FIELD_ENCRYPTION_KEYS:
        Fernet(_key)
except (ValueError, TypeError) as _exc:
    raise ImproperlyConfigured(
        "FIELD_ENCRYPTION_KEYS holds a value that is not a Fernet key."
    ) from _exc
if len(FIELD_HASH_KEY) < 32 or "FAKE" in FIELD_HASH_KEY:
    raise ImproperlyConfigured("FIELD_HASH_KEY must be a real secret of at least 32 characters.")
if FIELD_HASH_KEY in FIELD_ENCRYPTION_KEYS:
    raise ImproperlyConfigured("FIELD_HASH_KEY must differ from the encryption keys.")

# Administrators sign in with a second factor (API and /admin/); an env switch turns it off.
ADMIN_ROLE_MFA_REQUIRED = env.bool("ADMIN_ROLE_MFA_REQUIRED", default=True)

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
