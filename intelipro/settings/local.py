"""Developer laptop: DEBUG on, a visibly fake secret key."""

from intelipro.settings.base import *

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="local-dev-secret-key-NOT-FOR-PRODUCTION-0000000000")
SIMPLE_JWT["SIGNING_KEY"] = env("JWT_SECRET", default=SECRET_KEY)
# Visibly fake column-encryption keys (base64 of "FAKE-dev-only-field-key-00000000").
FIELD_ENCRYPTION_KEYS = env.list(
    "FIELD_ENCRYPTION_KEYS", default=["RkFLRS1kZXYtb25seS1maWVsZC1rZXktMDAwMDAwMDA="]
)
FIELD_HASH_KEY = env("FIELD_HASH_KEY", default="FAKE-dev-only-field-hash-key-NOT-FOR-PRODUCTION")
CORS_ALLOWED_ORIGINS = env.list(
    "CORS_ALLOWED_ORIGINS", default=["http://localhost:3000", "http://127.0.0.1:3000"]
)
LOG_FORMAT = env("LOG_FORMAT", default="text")
LOGGING["handlers"]["console"]["formatter"] = LOG_FORMAT
# `make run` starts a Celery worker and beat inside the ASGI process in embedded mode so that
# live events raised by background jobs reach websocket clients without a Redis server.
EMBEDDED_WORKER = env.bool("EMBEDDED_WORKER", default=EMBEDDED)
