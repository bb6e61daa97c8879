"""Tests: fast hasher, locmem email, eager Celery. PostgreSQL/Redis when DATABASE_URL/REDIS_URL
are set (CI sets them), the embedded default otherwise."""

from intelipro.settings.base import *

DEBUG = False
SECRET_KEY = "test-secret-key-not-secret-0123456789abcdefghijklmnop"  # noqa: S105 - test only
SIMPLE_JWT["SIGNING_KEY"] = SECRET_KEY
JWT_SECRET = SECRET_KEY
# Visibly fake column-encryption keys (base64 of "FAKE-test-only-field-key-0000000").
FIELD_ENCRYPTION_KEYS = ["RkFLRS10ZXN0LW9ubHktZmllbGQta2V5LTAwMDAwMDA="]
FIELD_HASH_KEY = "FAKE-test-only-field-hash-key"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
CELERY_TASK_EAGER_PROPAGATES = True
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "test-media")))
EMBEDDED_WORKER = False
LOG_LEVEL = env("LOG_LEVEL", default="WARNING").upper()
LOGGING["root"]["level"] = LOG_LEVEL
LOGGING["handlers"]["console"]["formatter"] = "text"
if REDIS_URL:
    # Keep test keys apart from a developer's data on the same Redis.
    CACHES["default"]["KEY_PREFIX"] = "intelipro-test"
    CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = "intelipro-test"
# Every /health call probes afresh unless a test asks for the cache (tests/core/test_health.py).
HEALTH_CACHE_SECONDS = env.float("HEALTH_CACHE_SECONDS", default=0.0)
