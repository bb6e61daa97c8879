"""Settings shared by every environment. Every value comes from the environment.

With no DATABASE_URL / REDIS_URL the product runs on an embedded default that needs no
server: SQLite in var/, a filesystem Celery broker, an in-memory channel layer and a
local-memory cache (see README "Embedded mode").
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

APP_VERSION = env("APP_VERSION", default="0.1.0")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-dev-key-change-me-0123456789abcdef")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# --- Applications -------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "csp",
    "channels",
    "django_celery_beat",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
]
# Intelipro apps, one per domain. intelipro/urls.py mounts each app's <app>/api/urls.py and
# intelipro/asgi.py each app's websocket routes (<app>/routing.py), by name.
PROJECT_APPS = [
    "core",
    "accounts",
    "renewals",
    "uploads",
    "files",
    "notifications",
    "ai_assistant",
    "emails",
    "communications",
]
INSTALLED_APPS += PROJECT_APPS

MIDDLEWARE = [
    "intelipro.middleware.RequestIDMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "intelipro.middleware.SecurityHeadersMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "intelipro.middleware.AccessLogMiddleware",
]

ROOT_URLCONF = "intelipro.urls"
WSGI_APPLICATION = "intelipro.wsgi.application"
ASGI_APPLICATION = "intelipro.asgi.application"
# REST clients call the spec's paths without a trailing slash; routes accept both forms,
# so Django must not redirect (a redirect would turn a POST into a GET).
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False  # services own their transactions (STYLE §6)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the embedded worker thread write while web requests read.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", "timeout": 20}
    )
else:
    # Under ASGI every request may run on a different thread, so Django's persistent
    # connections (CONN_MAX_AGE) pile up one per thread until PostgreSQL refuses clients.
    # psycopg's pool (Django 5.1+) shares a bounded set per process instead.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    if env.bool("DATABASE_POOL", default=True):
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": env.int("DATABASE_POOL_MIN_SIZE", default=2),
            "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=10),
            "timeout": env.float("DATABASE_POOL_TIMEOUT", default=5.0),
        }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USING_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")

# --- Redis, cache, channel layer ----------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")  # empty: embedded fallbacks, no Redis needed
EMBEDDED = not REDIS_URL  # broker, cache and channel layer need no server

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                # Redis down must not take the API down: cache misses instead of 500s.
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
            },
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="intelipro"),
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    CHANNEL_LAYERS = {
        "default": {
            # Stock channels_redis, used only through group_send (intelipro/realtime.py). The
            # pub/sub layer, not the core one: one Redis PUBLISH per group and one subscriber
            # connection per server process that hands each message to its consumer; the core
            # layer's per-channel queues and receive locks made a 1,000-user broadcast 5x
            # slower (bench/RESULTS.md, 2026-12-04). Delivery is at most once, with no buffer
            # for a socket that is reconnecting: clients `sync` after reconnecting.
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                # redis-py 8 defaults socket_timeout to 5 s; keep reads longer than that. It also
                # caps an asyncio pool at 100 connections and raises (not waits) past that.
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "socket_timeout": 15,
                        "socket_connect_timeout": 5,
                        "max_connections": env.int("CHANNEL_LAYER_MAX_CONNECTIONS", default=2000),
                    }
                ],
                "prefix": env("CHANNEL_LAYER_PREFIX", default="intelipro"),
            },
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "intelipro-embedded",
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.InMemoryChannelLayer",
            "CONFIG": {"capacity": env.int("CHANNEL_LAYER_CAPACITY", default=2000), "expiry": 60},
        }
    }

# --- Auth ---------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("email", "first_name", "last_name")},
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

JWT_SECRET = env("JWT_SECRET", default=SECRET_KEY)
JWT_ACCESS_LIFETIME = env.int("JWT_ACCESS_LIFETIME_SECONDS", default=3600)  # spec: JWT_EXPIRY=1h
JWT_REFRESH_LIFETIME = env.int("JWT_REFRESH_LIFETIME_SECONDS", default=86400)  # 1 day
JWT_REFRESH_REMEMBER_ME_LIFETIME = env.int(
    "JWT_REFRESH_REMEMBER_ME_LIFETIME_SECONDS", default=30 * 86400
)
# Absolute cap of a session (a login) from its sign-in: refreshing never extends it past this.
JWT_SESSION_MAX_AGE = env.int("JWT_SESSION_MAX_AGE_SECONDS", default=30 * 86400)  # 30 days
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=JWT_ACCESS_LIFETIME),
    "REFRESH_TOKEN_LIFETIME": timedelta(seconds=JWT_REFRESH_LIFETIME),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": JWT_SECRET,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "sub",  # spec "JWT Token Structure"
}

# --- Column encryption (core/fields.py) ------------------------------------------------------
# Fernet keys for encrypted columns (PII, stored secrets), comma-separated, NEWEST FIRST: new
# values are encrypted with the first key, any listed key decrypts. Rotation: prepend a new key,
# deploy, run `manage.py rotate_keys --commit`, then drop the old key. local.py and test.py set
# visibly fake keys; production.py refuses to start without real ones.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
# HMAC-SHA256 key of the exact-match lookup columns beside encrypted ones (email_hash, ...).
# Separate from the encryption keys; changing it means recomputing every hash column.
FIELD_HASH_KEY = env("FIELD_HASH_KEY", default="")

# --- REST framework -----------------------------------------------------------------------
# Rates from the spec's "Rate Limiting" table; "5/15m" means 5 per 15 minutes.
_THROTTLE_LOGIN = env("THROTTLE_LOGIN", default="5/15m")
THROTTLE_RATES = {
    # failed sign-ins per account, and per client IP (docs/accounts.md: the same-IP trade-off)
    "login": _THROTTLE_LOGIN,
    "login_ip": env("THROTTLE_LOGIN_IP", default=_THROTTLE_LOGIN),
    "api_general": env("THROTTLE_API_GENERAL", default="1000/h"),
    "upload": env("THROTTLE_UPLOAD", default="10/h"),
    "ai_queries": env("THROTTLE_AI_QUERIES", default="100/h"),
    # wrong MFA codes per user (a fixed window on top of django-otp's per-device delay)
    "mfa": env("THROTTLE_MFA", default="5/15m"),
    # GET /health per client IP: monitors poll every few seconds, nobody needs more
    "health": env("THROTTLE_HEALTH", default="60/m"),
}
# /health keeps its probe results this long per process (each probe opens a Redis connection
# and broadcasts a Celery ping: 1.2 s, issue 13 hole 15).
HEALTH_CACHE_SECONDS = env.float("HEALTH_CACHE_SECONDS", default=5.0)
# django-otp's growing per-device delay is replaced by the window above: it refused a right
# code typed a second after a wrong one. Every place a code is checked (API sign-in, disable,
# the admin console) goes through accounts.services.mfa.mfa_code_verify, whose window falls
# back to a database counter when the cache is down (tests/accounts/test_fail_closed.py).
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0
REST_FRAMEWORK = {
    # Bearer JWTs that die with their session (logout, reset, deactivation), one query.
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["intelipro.api.renderers.EnvelopeJSONRenderer"],
    # The API speaks JSON (the spec's Content-Type); endpoints that take files opt in to
    # multipart themselves. One body encoding per endpoint keeps "what the schema allows" and
    # "what the API accepts" the same (form fields can't tell an empty value from no value).
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "intelipro.api.pagination.StandardPagination",
    "PAGE_SIZE": 10,
    "DEFAULT_FILTER_BACKENDS": ["intelipro.api.filters.FilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": ["intelipro.api.throttling.GeneralRateThrottle"],
    "DEFAULT_THROTTLE_RATES": THROTTLE_RATES,
    "EXCEPTION_HANDLER": "intelipro.api.exceptions.exception_handler",
    "DEFAULT_METADATA_CLASS": "intelipro.api.metadata.Metadata",
    "DEFAULT_SCHEMA_CLASS": "intelipro.api.schema.EnvelopeAutoSchema",
    "DATETIME_FORMAT": "iso-8601",
    "COERCE_DECIMAL_TO_STRING": False,  # money as JSON numbers, as the spec shows it
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "NON_FIELD_ERRORS_KEY": "non_field_errors",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Intelipro API",
    "DESCRIPTION": (
        "Renewal management back office. Every response is wrapped in the envelope "
        '`{"success": true, "data": ...}`; errors are `{"success": false, "error": '
        '{"code", "message", "details"}}`. Authenticate with `Authorization: Bearer <access_token>` '
        "from `POST /api/v1/auth/login`. Every path works with and without a trailing slash."
    ),
    "VERSION": APP_VERSION,
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Same name as drf-spectacular's simplejwt extension, so it is one scheme either way.
    "APPEND_COMPONENTS": {
        "securitySchemes": {
            "jwtAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
        }
    },
    "ENUM_NAME_OVERRIDES": {"ServiceStatusEnum": "core.selectors.SERVICE_STATUSES"},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "intelipro.api.schema.envelope_postprocessing_hook",
    ],
}

# --- Security -----------------------------------------------------------------------------
# Proxies whose X-Forwarded-For / X-Real-IP are believed (nginx): addresses or networks, "*"
# for any peer. One list for the web server (uvicorn/gunicorn forwarded_allow_ips, passed by
# intelipro/uvicorn_options.py) and the app's client_ip(), so both see the same client. The
# variable is the one uvicorn and gunicorn read themselves, with their default.
FORWARDED_ALLOW_IPS = env.list("FORWARDED_ALLOW_IPS", default=["127.0.0.1", "::1"])
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
# The spec's "Security Headers" that neither Django nor django-csp sets (Django dropped
# X-XSS-Protection in 4.0); SecurityHeadersMiddleware adds them to every response.
SECURITY_HEADERS = {"X-XSS-Protection": "1; mode=block"}


def _csp_directives(policy: str) -> dict[str, list[str] | bool]:
    """The policy string of CONTENT_SECURITY_POLICY as django-csp's DIRECTIVES:
    "default-src 'self'; upgrade-insecure-requests" -> {"default-src": ["'self'"], ...: True}."""
    directives: dict[str, list[str] | bool] = {}
    for part in policy.split(";"):
        if words := part.split():
            directives[words[0]] = words[1:] or True
    return directives


# The spec's Content-Security-Policy, written by django-csp's CSPMiddleware. The variable
# keeps the header's own syntax, so operators paste a policy as browsers read it.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": _csp_directives(
        env(
            "CONTENT_SECURITY_POLICY",
            default="default-src 'self'; script-src 'self' 'unsafe-inline'",
        )
    )
}
SECURE_HSTS_SECONDS = 0  # production.py turns HSTS on behind TLS
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_ALLOW_CREDENTIALS = True
CORS_EXPOSE_HEADERS = ["X-Request-ID", "Retry-After", "Content-Disposition"]
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # admin forms read the token from the form, SPA uses JWT

# --- Internationalization -----------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env("DJANGO_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static and media ---------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=10 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- Email --------------------------------------------------------------------------------
# Spec names SMTP_HOST/SMTP_PORT/SMTP_USER/SMTP_PASS; Django's EMAIL_* names win when set.
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default=env("SMTP_HOST", default="localhost"))
EMAIL_PORT = env.int("EMAIL_PORT", default=env.int("SMTP_PORT", default=25))
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default=env("SMTP_USER", default=""))
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default=env("SMTP_PASS", default=""))
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Intelipro <no-reply@intelipro.local>")
FRONTEND_URL = env("FRONTEND_URL", default="http://127.0.0.1:8000")

# --- Celery -------------------------------------------------------------------------------
if REDIS_URL:
    CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
    CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=REDIS_URL)
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    # Embedded: a broker that needs no server. The filesystem transport crosses processes,
    # so a management command can enqueue work for the worker running inside `make run`.
    CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
    CELERY_RESULT_BACKEND = None
    # CELERY_BROKER_DIR lets a second stack (e.g. an end-to-end test) use its own queue.
    _broker_dir = Path(env("CELERY_BROKER_DIR", default=str(VAR_DIR / "celery")))
    _queue_dir = _broker_dir / "queue"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        # The exchange tables; kombu's default is ./control, relative to the working directory.
        "control_folder": str(_broker_dir / "control"),
    }
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True  # assume every task runs twice (STYLE §10)
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=360)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The beat schedule is code (STYLE §10); core.services.beat_schedule_sync mirrors it into
# django-celery-beat's tables after every migrate so it shows in the admin.
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    # every 5 minutes: proves beat is alive (last_run_at in admin) and trims old audit rows.
    "core.heartbeat": {
        "task": "core.tasks.heartbeat_task",
        "schedule": crontab(minute="*/5"),
    },
}

# --- Notifications (notifications app) -----------------------------------------------------
# Web push (pywebpush): VAPID keys as base64url (`vapid --gen` / py_vapid); on when both are set.
VAPID_PUBLIC_KEY = env("VAPID_PUBLIC_KEY", default="")
VAPID_PRIVATE_KEY = env("VAPID_PRIVATE_KEY", default="")
VAPID_CLAIMS_EMAIL = env("VAPID_CLAIMS_EMAIL", default="admin@intelipro.local")
USE_WEB_PUSH = env.bool("USE_WEB_PUSH", default=bool(VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY))
WEB_PUSH_TTL = env.int("WEB_PUSH_TTL", default=86400)  # seconds the push service keeps a message
WEB_PUSH_TIMEOUT = env.int("WEB_PUSH_TIMEOUT", default=10)
# Which endpoints the worker POSTs to (SSRF guard, notifications/push_endpoints.py).
# Real push services are https; a self-hosted relay (and the tests' stand-in) may use http.
WEB_PUSH_ALLOW_HTTP_ENDPOINTS = env.bool("WEB_PUSH_ALLOW_HTTP_ENDPOINTS", default=False)
# Hosts (and their subdomains) of the browsers' push services: Chrome/Edge-Android/Opera/
# Samsung (FCM), Firefox (Mozilla autopush), Safari (Apple), Edge on Windows (WNS).
WEB_PUSH_ALLOWED_HOSTS = env.list(
    "WEB_PUSH_ALLOWED_HOSTS",
    default=[
        "fcm.googleapis.com",
        "android.googleapis.com",
        "push.services.mozilla.com",
        "web.push.apple.com",
        "notify.windows.com",
    ],
)
# Private networks a self-hosted push relay lives on (CIDRs); every other private, loopback,
# link-local or reserved address an endpoint resolves to is refused. Empty: none.
WEB_PUSH_TRUSTED_NETWORKS = env.list("WEB_PUSH_TRUSTED_NETWORKS", default=[])
# Read notifications older than this many days and expired ones are purged nightly.
NOTIFICATIONS_RETENTION_DAYS = env.int("NOTIFICATIONS_RETENTION_DAYS", default=90)
# Unread ones too, after this many days (0 keeps unread forever).
NOTIFICATIONS_UNREAD_RETENTION_DAYS = env.int("NOTIFICATIONS_UNREAD_RETENTION_DAYS", default=365)
# Local hour (in each user's preference time zone) at which daily digests go out.
NOTIFICATIONS_DIGEST_DAILY_HOUR = env.int("NOTIFICATIONS_DIGEST_DAILY_HOUR", default=8)
NOTIFICATIONS_EMAIL_MAX_ATTEMPTS = env.int("NOTIFICATIONS_EMAIL_MAX_ATTEMPTS", default=6)
CELERY_BEAT_SCHEDULE.update(
    {
        # every minute: deliveries due after quiet hours, and enqueues lost while the broker was down
        "notifications.dispatch": {
            "task": "notifications.tasks.notification_deliveries_dispatch_task",
            "schedule": crontab(minute="*"),
        },
        # hourly at :00 (UTC): hourly digests, and daily digests of users whose local hour is
        # NOTIFICATIONS_DIGEST_DAILY_HOUR
        "notifications.digests": {
            "task": "notifications.tasks.notification_digests_send_task",
            "schedule": crontab(minute=0),
        },
        # daily 03:30 (CELERY_TIMEZONE): purge expired and old read notifications
        "notifications.housekeeping": {
            "task": "notifications.tasks.notification_housekeeping_task",
            "schedule": crontab(hour=3, minute=30),
        },
    }
)

# Lifetime of a single-use websocket ticket (POST /api/v1/ws/ticket, intelipro/ws_auth.py):
# long enough for a browser to open the socket right after asking, short enough that a
# ticket seen in a log is already dead (and it is single use anyway).
WS_TICKET_TTL_SECONDS = env.int("WS_TICKET_TTL_SECONDS", default=30)

# --- Observability ------------------------------------------------------------------------
LOG_LEVEL = env("LOG_LEVEL", default="INFO").upper()
LOG_FORMAT = env("LOG_FORMAT", default="json")  # json | text
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "intelipro.logging.RequestIDFilter"},
        "strip_query": {"()": "intelipro.logging.StripQueryStringFilter"},
    },
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "timestamp", "levelname": "level", "name": "logger"},
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT if LOG_FORMAT in ("json", "text") else "json",
            "filters": ["request_id"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.server": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
        "intelipro.request": {"level": LOG_LEVEL, "propagate": True},
        # The web server's own lines (access log, websocket handshakes) without query strings:
        # URLs can carry a websocket token. Their level stays the server's (--log-level);
        # every process that loads Django (uvicorn, gunicorn's worker) applies this config
        # after the server set up its loggers, so these handlers are the ones that stay.
        "uvicorn.access": {"handlers": ["console"], "filters": ["strip_query"], "propagate": False},
        "uvicorn.error": {"handlers": ["console"], "filters": ["strip_query"], "propagate": False},
    },
}
SENTRY_DSN = env("SENTRY_DSN", default="")

# --- Accounts (accounts app) -------------------------------------------------------------
# The admin site asks staff who own an authenticator for their code (accounts/admin_site.py).
INSTALLED_APPS[INSTALLED_APPS.index("django.contrib.admin")] = "accounts.apps.InteliproAdminConfig"
# Password policy: the validators above plus "not one of the last 5 passwords".
AUTH_PASSWORD_VALIDATORS.append(
    {"NAME": "accounts.validators.PasswordHistoryValidator", "OPTIONS": {"history_size": 5}}
)
PASSWORD_RESET_TIMEOUT_SECONDS = env.int("PASSWORD_RESET_TIMEOUT_SECONDS", default=3600)  # 1 h
PASSWORD_RESET_PATH = env("PASSWORD_RESET_PATH", default="/reset-password")  # on FRONTEND_URL
PASSWORD_RESET_EMAIL_RATE = env("PASSWORD_RESET_EMAIL_RATE", default="5/h")  # per address
USER_INVITE_LIFETIME = env.int("USER_INVITE_LIFETIME_SECONDS", default=72 * 3600)
MFA_TOKEN_LIFETIME = env.int("MFA_TOKEN_LIFETIME_SECONDS", default=300)  # login's MFA step
MFA_BACKUP_CODES_COUNT = 10
# The admin role requires MFA (API and /admin/) even when its Role.mfa_required flag is off.
# Off for laptops and tests; production.py turns it on unless ADMIN_ROLE_MFA_REQUIRED=false.
ADMIN_ROLE_MFA_REQUIRED = env.bool("ADMIN_ROLE_MFA_REQUIRED", default=False)
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]["UserStatusEnum"] = "accounts.models.User.Status"
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", default="Intelipro")
CELERY_BEAT_SCHEDULE.update(
    {
        # daily 02:40 (CELERY_TIMEZONE): delete expired sessions and refresh-token records
        "accounts.sessions_prune": {
            "task": "accounts.tasks.sessions_prune_task",
            "schedule": crontab(hour=2, minute=40),
        },
    }
)

# --- AI assistant (ai_assistant app) -------------------------------------------------------
# Initial values of the ai_settings row (the spec's env variables); after the first
# PUT /ai/settings the row is the truth. `local` works offline with no key.
# local | openai | azure_openai | openai_compatible
AI_PROVIDER = env("AI_PROVIDER", default="local")
AI_MODEL = env("AI_MODEL", default="")  # "" = the provider's default (gpt-4o-mini, local-bm25)
OPENAI_API_KEY = env("OPENAI_API_KEY", default="")
AI_BASE_URL = env("AI_BASE_URL", default="")  # openai_compatible: Ollama, vLLM, LM Studio
AI_AZURE_ENDPOINT = env("AI_AZURE_ENDPOINT", default="")
AI_AZURE_DEPLOYMENT = env("AI_AZURE_DEPLOYMENT", default="")
AI_AZURE_API_VERSION = env("AI_AZURE_API_VERSION", default="2024-10-21")
# Identical prompts (provider, model, context hash) are answered from the cache this long.
AI_CACHE_TTL = env.int("AI_CACHE_TTL_SECONDS", default=3600)
# Tokens (in + out) of external providers one team (branch) may use per calendar month; 0 = no cap.
AI_MONTHLY_TOKEN_BUDGET = env.int("AI_MONTHLY_TOKEN_BUDGET", default=2_000_000)
# USD per 1M tokens (input, output) for the cost estimate of AIUsage rows; unknown models cost 0.
AI_PRICES_PER_MILLION = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4": (30.00, 60.00),
    "gpt-3.5-turbo": (0.50, 1.50),
}
AI_KNOWLEDGE_MAX_BYTES = env.int("AI_KNOWLEDGE_MAX_BYTES", default=5 * 1024 * 1024)
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(
    {
        "KnowledgeDocumentStatusEnum": "ai_assistant.models.KnowledgeDocument.Status",
        "KnowledgeDocTypeEnum": "ai_assistant.models.KnowledgeDocument.DocType",
        "KnowledgeTextDocTypeEnum": [("markdown", "Markdown"), ("text", "Plain text")],
    }
)
AI_CLASSIFIER_PATH = env("AI_CLASSIFIER_PATH", default=str(BASE_DIR / "ai_assistant" / "artifacts"))

# --- Demo ---------------------------------------------------------------------------------
DEMO_ADMIN_EMAIL = env("DEMO_ADMIN_EMAIL", default="admin@intelipro.local")
DEMO_ADMIN_PASSWORD = env("DEMO_ADMIN_PASSWORD", default="Intelipro-Demo-2026!")


if SENTRY_DSN:  # pragma: no cover - needs a Sentry project
    import sentry_sdk

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        release=APP_VERSION,
        environment=env("SENTRY_ENVIRONMENT", default="production"),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
        send_default_pii=False,
    )

# --- Files (files app: uploads, scanning, thumbnails, storage) -----------------------------
FILES_MAX_UPLOAD_BYTES = env.int("FILES_MAX_UPLOAD_BYTES", default=25 * 1024 * 1024)  # → 413
# Uploads up to this size are scanned inside the request when a scanner (CLAMAV_URL) is set,
# so most answer already "clean"; bigger ones (and scanner outages) go to the scan task.
FILES_SYNC_SCAN_MAX_BYTES = env.int("FILES_SYNC_SCAN_MAX_BYTES", default=10 * 1024 * 1024)
CLAMAV_URL = env("CLAMAV_URL", default="")  # unix:///run/clamav/clamd.ctl | tcp://127.0.0.1:3310
CLAMAV_TIMEOUT = env.float("CLAMAV_TIMEOUT", default=60.0)
# Dev only: serve files whose scan is still pending (never infected/quarantined ones).
FILES_ALLOW_PENDING_DOWNLOADS = env.bool("FILES_ALLOW_PENDING_DOWNLOADS", default=False)
FILES_PUBLIC_LINK_TTL_MINUTES = env.int("FILES_PUBLIC_LINK_TTL_MINUTES", default=15)
FILES_PRESIGNED_URL_TTL_SECONDS = env.int("FILES_PRESIGNED_URL_TTL_SECONDS", default=60)
FILES_THUMBNAIL_SIZE = env.int("FILES_THUMBNAIL_SIZE", default=320)  # longest side, px
# Decompression-bomb guard: images with more pixels are not decoded (Pillow raises).
FILES_THUMBNAIL_MAX_PIXELS = env.int("FILES_THUMBNAIL_MAX_PIXELS", default=40_000_000)
# S3 when a bucket is configured (spec names AWS_BUCKET_NAME/AWS_REGION), else var/media.
AWS_BUCKET_NAME = env("AWS_BUCKET_NAME", default=env("AWS_STORAGE_BUCKET_NAME", default=""))
if AWS_BUCKET_NAME:
    STORAGES["files"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_BUCKET_NAME,
            "access_key": env("AWS_ACCESS_KEY_ID", default=None),
            "secret_key": env("AWS_SECRET_ACCESS_KEY", default=None),
            "region_name": env("AWS_REGION", default=None),
            "endpoint_url": env("AWS_S3_ENDPOINT_URL", default=None),  # MinIO, moto in tests
            "default_acl": None,  # bucket policy decides; objects are never public-read
            "file_overwrite": False,
            "querystring_auth": True,
            "querystring_expire": FILES_PRESIGNED_URL_TTL_SECONDS,
            "signature_version": "s3v4",
            # Spec: server-side encryption (aws:kms + AWS_SSE_KMS_KEY_ID = customer-managed key).
            "object_parameters": {
                k: v
                for k, v in {
                    "ServerSideEncryption": env("AWS_SSE", default="AES256"),
                    "SSEKMSKeyId": env("AWS_SSE_KMS_KEY_ID", default=""),
                }.items()
                if v
            },
        },
    }
else:
    STORAGES["files"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        # Under MEDIA_ROOT (read lazily, so test settings can move it). Never served as
        # static: downloads stream through the permission check.
        "OPTIONS": {},
    }
CELERY_BEAT_SCHEDULE["files.maintenance"] = {
    # every 15 minutes: re-enqueue scans stuck in pending (scanner was down) and purge
    # blobs whose last reference went (a crashed purge is retried here).
    "task": "files.tasks.file_maintenance_task",
    "schedule": crontab(minute="*/15"),
}

# --- Renewals (renewals app, docs/renewals.md) -------------------------------------------------
# Days before the renewal date at which reminders go out (comma separated).
RENEWALS_REMINDER_WINDOWS = env.list("RENEWALS_REMINDER_WINDOWS", cast=int, default=[30, 15, 7, 1])
# Untouched cases of these priorities are escalated to the branch manager after N days.
RENEWALS_ESCALATION_STALE_DAYS = env.int("RENEWALS_ESCALATION_STALE_DAYS", default=3)
RENEWALS_ESCALATION_PRIORITIES = env.list(
    "RENEWALS_ESCALATION_PRIORITIES", default=["high", "urgent"]
)
RENEWALS_ESCALATION_MAX_PER_RUN = env.int("RENEWALS_ESCALATION_MAX_PER_RUN", default=5000)
# Dashboard figures are cached per scope + parameters; writes bump a version key.
RENEWALS_DASHBOARD_CACHE_SECONDS = env.int("RENEWALS_DASHBOARD_CACHE_SECONDS", default=300)
# Shared secret of the payment gateway: POST /webhooks/payments is signed with
# HMAC-SHA256(secret, "<X-Signature-Timestamp>.<raw body>") in the X-Signature header.
# Empty: every webhook is refused.
PAYMENT_WEBHOOK_SECRET = env("PAYMENT_WEBHOOK_SECRET", default="")
# How far (seconds, either way) X-Signature-Timestamp may be from now: bounds replays.
PAYMENT_WEBHOOK_TOLERANCE_SECONDS = env.int("PAYMENT_WEBHOOK_TOLERANCE_SECONDS", default=300)
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(
    {
        "CaseStatusEnum": "renewals.lifecycle.Status",
        "CaseEventTypeEnum": "renewals.models.CaseEvent.Kind",
    }
)
CELERY_BEAT_SCHEDULE.update(
    {
        # daily 06:00 (CELERY_TIMEZONE): renewal reminders T-30/15/7/1, before agents start
        "renewals.reminders": {
            "task": "renewals.tasks.case_reminders_run_task",
            "schedule": crontab(minute=0, hour=6),
        },
        # daily 01:00: lapse cases past renewal date + grace period without payment
        "renewals.lapse": {
            "task": "renewals.tasks.cases_lapse_task",
            "schedule": crontab(minute=0, hour=1),
        },
        # daily 07:00: escalate untouched high/urgent cases to the branch manager
        "renewals.auto_escalate": {
            "task": "renewals.tasks.cases_auto_escalate_task",
            "schedule": crontab(minute=0, hour=7),
        },
    }
)

# --- Uploads (uploads app: batch upload of insurers' renewal files) -----------------------
UPLOAD_MAX_FILE_SIZE_MB = env.int("UPLOAD_MAX_FILE_SIZE_MB", default=50)
UPLOAD_MAX_ROWS = env.int("UPLOAD_MAX_ROWS", default=200_000)
# Zip-bomb guards for .xlsx: total uncompressed size, compression ratio, number of entries.
UPLOAD_XLSX_MAX_UNCOMPRESSED_MB = env.int("UPLOAD_XLSX_MAX_UNCOMPRESSED_MB", default=512)
UPLOAD_XLSX_MAX_RATIO = env.int("UPLOAD_XLSX_MAX_RATIO", default=100)
UPLOAD_XLSX_MAX_ENTRIES = env.int("UPLOAD_XLSX_MAX_ENTRIES", default=10_000)
# Rows per transaction: big enough for set-based SQL to pay off, small enough that a chunk
# holds its row locks for well under a second and a crash re-does little work.
UPLOAD_CHUNK_SIZE = env.int("UPLOAD_CHUNK_SIZE", default=2000)
# Region for phone numbers written without a country code (ISO 3166 alpha-2): the customer
# phone lookup hash (core.fields.normalize_phone) and the upload pipeline read them the same.
PHONE_DEFAULT_REGION = env("PHONE_DEFAULT_REGION", default="IN")
UPLOAD_PHONE_DEFAULT_REGION = env("UPLOAD_PHONE_DEFAULT_REGION", default=PHONE_DEFAULT_REGION)
# Maker-checker: a batch waits in awaiting_approval when it would change any existing
# policy's premium by more than this percent, or open/change more than this many cases.
# 0 disables a threshold; with both 0 no validation pass runs before writes.
UPLOAD_APPROVAL_PREMIUM_CHANGE_PERCENT = env.float(
    "UPLOAD_APPROVAL_PREMIUM_CHANGE_PERCENT", default=50.0
)
UPLOAD_APPROVAL_MAX_CASES = env.int("UPLOAD_APPROVAL_MAX_CASES", default=10_000)
UPLOAD_APPROVAL_ALLOW_SELF = env.bool("UPLOAD_APPROVAL_ALLOW_SELF", default=False)
# Maker-checker also holds a batch that moves an existing policy to another branch or agent,
# or changes an existing customer's email, phone or address (issue 13).
UPLOAD_APPROVAL_SENSITIVE_CHANGES = env.bool("UPLOAD_APPROVAL_SENSITIVE_CHANGES", default=True)
# An active batch without committed progress for this long is re-queued by the beat job.
UPLOAD_STUCK_MINUTES = env.int("UPLOAD_STUCK_MINUTES", default=15)
# A worker run stops after this many seconds and re-enqueues itself (checkpointed), so no
# task runs into the Celery time limits however big the file.
UPLOAD_TASK_TIME_BUDGET_SECONDS = env.int("UPLOAD_TASK_TIME_BUDGET_SECONDS", default=240)
UPLOAD_ERROR_LOG_LIMIT = env.int("UPLOAD_ERROR_LOG_LIMIT", default=1000)
UPLOAD_STATUS_ERRORS_LIMIT = env.int("UPLOAD_STATUS_ERRORS_LIMIT", default=100)
UPLOAD_STORAGE_PREFIX = env("UPLOAD_STORAGE_PREFIX", default="uploads/batches")
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]["UploadBatchStatusEnum"] = (
    "uploads.models.UploadBatch.Status"
)
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]["UploadBatchStageEnum"] = (
    "uploads.models.UploadBatch.Stage"
)
CELERY_BEAT_SCHEDULE["uploads.requeue_stuck"] = {
    # every 5 minutes: re-queue batches stuck in processing (validating or writing; worker lost)
    "task": "uploads.tasks.upload_batches_requeue_stuck_task",
    "schedule": crontab(minute="*/5"),
}

# --- Request body limits at the ASGI layer (intelipro/bodylimit.py) --------------------------
# Oversized bodies are refused with 413 before Django spools them. Per path prefix: the app's
# own limit plus 1 MiB for multipart overhead, with the code the app itself would answer.
_MULTIPART_HEADROOM = 1024 * 1024
REQUEST_MAX_BODY_BYTES = env.int("REQUEST_MAX_BODY_BYTES", default=60 * 1024 * 1024)
REQUEST_BODY_LIMITS = {
    "/api/v1/files/upload": (FILES_MAX_UPLOAD_BYTES + _MULTIPART_HEADROOM, "file_too_large"),
    "/api/v1/upload/batch": (
        UPLOAD_MAX_FILE_SIZE_MB * 1024 * 1024 + _MULTIPART_HEADROOM,
        "upload_file_too_large",
    ),
}

# --- Emails (emails app: shared mailboxes over IMAP/SMTP) -----------------------------------
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(
    {
        "EmailAccountStatusEnum": "emails.models.EmailAccount.Status",
        "EmailStatusEnum": "emails.models.Email.Status",
        "EmailPriorityEnum": "emails.models.Email.Priority",
    }
)
# every minute: enqueue a sync of each mailbox whose own sync_interval (minutes) has passed
CELERY_BEAT_SCHEDULE["emails.sync_due"] = {
    "task": "emails.tasks.email_accounts_sync_due_task",
    "schedule": crontab(minute="*"),
}
# Threading fallbacks: a case or policy number in the subject or body attaches an email to
# that case (regexes; the case number format is renewals.services.numbering's).
EMAIL_CASE_NUMBER_PATTERNS = env.list("EMAIL_CASE_NUMBER_PATTERNS", default=[r"REN-\d{4}-\d{6}"])
EMAIL_POLICY_NUMBER_PATTERNS = env.list(
    "EMAIL_POLICY_NUMBER_PATTERNS", default=[r"POL-[A-Z0-9-]{4,}"]
)
# Same normalized subject and outside party within this many days = same thread.
EMAIL_THREAD_WINDOW_DAYS = env.int("EMAIL_THREAD_WINDOW_DAYS", default=14)

# --- Communications (communications app: the send gate for email, SMS and WhatsApp) ---------
# Messages per customer per day (their local day), all channels together; replies to the
# customer's own inbound message of the last 24 hours don't count (docs/communications.md).
MESSAGING_DAILY_CAP = env.int("MESSAGING_DAILY_CAP", default=3)
# SMS through Twilio: configured when the account SID, auth token and a messaging service SID
# or from-number are set; otherwise SMS sends are refused with `channel_not_configured`.
TWILIO_ACCOUNT_SID = env("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env("TWILIO_AUTH_TOKEN", default="")
TWILIO_MESSAGING_SERVICE_SID = env("TWILIO_MESSAGING_SERVICE_SID", default="")
TWILIO_FROM_NUMBER = env("TWILIO_FROM_NUMBER", default="")
TWILIO_API_BASE_URL = env("TWILIO_API_BASE_URL", default="https://api.twilio.com")
# WhatsApp Business (Cloud API): configured when the access token and phone number id are set.
WHATSAPP_ACCESS_TOKEN = env("WHATSAPP_ACCESS_TOKEN", default="")
WHATSAPP_PHONE_NUMBER_ID = env("WHATSAPP_PHONE_NUMBER_ID", default="")
WHATSAPP_WEBHOOK_VERIFY_TOKEN = env("WHATSAPP_WEBHOOK_VERIFY_TOKEN", default="")
WHATSAPP_APP_SECRET = env("WHATSAPP_APP_SECRET", default="")
WHATSAPP_BUSINESS_ACCOUNT_ID = env("WHATSAPP_BUSINESS_ACCOUNT_ID", default="")
WHATSAPP_API_BASE_URL = env("WHATSAPP_API_BASE_URL", default="https://graph.facebook.com/v21.0")
# Public origin the providers call back (e.g. https://crm.example.com) when behind a proxy:
# Twilio signs the URL it called, so signatures are checked against PUBLIC_BASE_URL + path
# when set, else against the URL of the request as Django sees it.
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", default="")
