"""Settings of the Review Portal, read from the environment (and an optional `.env` file).

Every variable, its default and its meaning is listed in docs/settings.md; `.env.example` is a
starting point. Development needs no variable at all (DEBUG defaults to on, SQLite, local staging);
production sets DEBUG=false, which makes SECRET_KEY and CREDENTIAL_KEYS mandatory.
"""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# A local .env is a convenience for development; real deployments pass real environment variables,
# which win over the file.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def _duration(name: str, default: str) -> timedelta:
    """Read a duration such as "24h", "90m", "45s", "2d" or plain seconds ("3600")."""
    raw = env.str(name, default=default).strip().lower()
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([smhd]?)", raw)
    if not match:
        raise ImproperlyConfigured(f"{name} must be a duration like 24h, 90m, 3600 (got {raw!r})")
    number, unit = float(match.group(1)), match.group(2) or "s"
    return timedelta(seconds=number * {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit])


# --- Core -----------------------------------------------------------------------------------------
DEBUG = env.bool("DEBUG", default=True)

if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-do-not-use-in-production")
else:
    SECRET_KEY = env.str("SECRET_KEY", default="")
    if not SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # Before staticfiles so that runserver serves static files the way production does.
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "csp",
    "publishing",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Every response, static files included, carries the Content-Security-Policy header.
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After authentication: upload and submit limits count per user (publishing/core/ratelimit.py).
    "publishing.core.ratelimit.RateLimitMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "publishing.web.context_processors.notifications",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web process, the worker and the tests share one file: wait for a lock instead of failing
    # at once, and take the write lock at BEGIN so that a transaction never has to upgrade later.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
    if DATABASES["default"]["NAME"] != ":memory:":
        # A fresh checkout has no var/ yet; SQLite cannot create the folder itself.
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
# Rate-limit counters live in Redis so that every web process shares them (publishing/core/ratelimit.py).
RATELIMIT_CACHE = "ratelimit"
RATELIMIT_REDIS_URL = env.str("RATELIMIT_REDIS_URL", default="") or env.str(
    "REDIS_URL", default="redis://127.0.0.1:6379/0"
)
CACHES[RATELIMIT_CACHE] = {
    "BACKEND": "django.core.cache.backends.redis.RedisCache",
    "LOCATION": RATELIMIT_REDIS_URL,
    "KEY_PREFIX": "portal-ratelimit",
    # A dead Redis must cost a login a fraction of a second, not a hang (the limiter then lets it pass).
    "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
}

# --- Authentication and sessions ------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# A sliding session: every request pushes the expiry SESSION_COOKIE_AGE further out, so a producer
# whose 2-hour upload keeps sending chunks is never logged out half-way.
SESSION_COOKIE_AGE = int(_duration("SESSION_COOKIE_AGE", "14d").total_seconds())
SESSION_SAVE_EVERY_REQUEST = True

# Rate limits ("N/period": 10/5m, 120/m, 30/h; "off" disables). Failed logins count per username and
# per client address; upload creation (tus POST) and batch submission count every attempt per user.
# A 2000-frame sequence is 2000 tus uploads, so the upload limit is generous: it stops runaway scripts,
# not producers (Uppy waits and retries on 429).
LOGIN_RATE_LIMIT = env.str("LOGIN_RATE_LIMIT", default="10/5m")
LOGIN_IP_RATE_LIMIT = env.str("LOGIN_IP_RATE_LIMIT", default="50/5m")
UPLOAD_CREATE_RATE_LIMIT = env.str("UPLOAD_CREATE_RATE_LIMIT", default="600/m")
BATCH_SUBMIT_RATE_LIMIT = env.str("BATCH_SUBMIT_RATE_LIMIT", default="30/m")
# Behind N reverse proxies that append to X-Forwarded-For, the client is the Nth address from the
# right; 0 trusts only REMOTE_ADDR (anything else in the header could be forged by the client).
RATELIMIT_TRUSTED_PROXIES = env.int("RATELIMIT_TRUSTED_PROXIES", default=0)

REST_FRAMEWORK = {
    # Token first: its challenge turns "not logged in" into 401 (session auth alone answers 403).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON only: the browsable API's pages would need inline scripts the CSP forbids.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["publishing.api.parsers.BoundedJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "publishing.api.pagination.PortalPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "publishing.api.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Review Portal API",
    "DESCRIPTION": (
        "Publish media to ftrack for review: uploads (tus), batches, jobs, ftrack context browsing and "
        "your credential status. Scripts authenticate with 'Authorization: Token <key>', the browser "
        'with its session cookie and X-CSRFToken. Every error is {"error": {"code", "message", "details"?}}.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/",
    "COMPONENT_SPLIT_REQUEST": True,
    "PREPROCESSING_HOOKS": ["publishing.api.docs.dedupe_endpoints"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "publishing.api.docs.add_error_responses",
    ],
    # Uploads and jobs both have a "kind" with different choices: name each set.
    "ENUM_NAME_OVERRIDES": {
        "UploadKindEnum": "publishing.models.Upload.Kind",
        "JobKindEnum": "publishing.models.PublishJob.Kind",
        "JobStatusEnum": "publishing.models.PublishJob.Status",
    },
}

# --- Internationalisation -------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static files and storage ---------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Development serves straight from static/ (no collectstatic needed); production from STATIC_ROOT.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every start when it is missing

STAGING_S3_BUCKET = env.str("STAGING_S3_BUCKET", default="")
STAGING_DIR = Path(env.str("STAGING_DIR", default=str(VAR_DIR / "staging")))
if STAGING_S3_BUCKET:
    _staging = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": STAGING_S3_BUCKET,
            "location": env.str("STAGING_S3_PREFIX", default=""),
            "region_name": env.str("STAGING_S3_REGION", default="") or None,
            "endpoint_url": env.str("STAGING_S3_ENDPOINT_URL", default="") or None,
            "access_key": env.str("STAGING_S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("STAGING_S3_SECRET_ACCESS_KEY", default="") or None,
            "default_acl": None,
            "file_overwrite": False,
            # Staged media is private: workers read it with credentials, nobody gets a public URL.
            "querystring_auth": True,
        },
    }
else:
    _staging = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": STAGING_DIR},
    }

STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": VAR_DIR / "media"},
    },
    # The manifest storage needs collectstatic to have run; development and tests serve the files as
    # they are.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
    "staging": _staging,
}

# --- Uploads (tus) --------------------------------------------------------------------------------
UPLOAD_PARTIAL_DIR = Path(env.str("UPLOAD_PARTIAL_DIR", default=str(VAR_DIR / "partial")))
MAX_UPLOAD_SIZE = env.int("MAX_UPLOAD_SIZE", default=50 * 1024**3)
UPLOAD_EXPIRY = _duration("UPLOAD_EXPIRY", "24h")
UPLOAD_CHUNK_SIZE = env.int("UPLOAD_CHUNK_SIZE", default=64 * 1024**2)
# A PATCH holds a short lease on its upload; a lease not refreshed for this long (its process died)
# may be taken over by the next PATCH.
UPLOAD_LOCK_TIMEOUT = _duration("UPLOAD_LOCK_TIMEOUT", "120s")
ALLOWED_UPLOAD_EXTENSIONS = [
    ext.lower() if ext.startswith(".") else f".{ext.lower()}"
    for ext in env.list(
        "ALLOWED_UPLOAD_EXTENSIONS",
        default=[
            # movies
            ".mov", ".mp4", ".m4v", ".mkv", ".avi", ".mxf", ".webm",
            # stills and sequence frames
            ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".exr", ".dpx", ".tga", ".bmp", ".gif",
        ],
    )
]  # fmt: skip
# The tus view streams request bodies itself and never touches request.body, so Django's in-memory
# limit (DATA_UPLOAD_MAX_MEMORY_SIZE, left at its 2.5 MB default for forms) does not apply to chunks.

# --- Secrets at rest ------------------------------------------------------------------------------
CREDENTIAL_KEYS = env.list("CREDENTIAL_KEYS", default=[])
if not CREDENTIAL_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured(
            "CREDENTIAL_KEYS must be set when DEBUG is off (Fernet keys, comma-separated)."
        )
    # Development only: a key derived from SECRET_KEY, so that stored credentials survive restarts.
    CREDENTIAL_KEYS = [base64.urlsafe_b64encode(hashlib.sha256(SECRET_KEY.encode()).digest()).decode()]

# --- ftrack ---------------------------------------------------------------------------------------
FTRACK_SERVER = env.str("FTRACK_SERVER", default="http://127.0.0.1:8010").rstrip("/")
FTRACK_CACHE_TTL = env.int("FTRACK_CACHE_TTL", default=300)
FTRACK_TIMEOUT = env.int("FTRACK_TIMEOUT", default=60)
FTRACK_SESSION_POOL_SIZE = env.int("FTRACK_SESSION_POOL_SIZE", default=8)
FTRACK_SESSION_IDLE_TIMEOUT = env.int("FTRACK_SESSION_IDLE_TIMEOUT", default=600)
FTRACK_SCHEMA_CACHE_DIR = env.str("FTRACK_SCHEMA_CACHE_DIR", default=str(VAR_DIR / "ftrack-schema"))
FTRACK_PLUGIN_PATHS = env.list("FTRACK_PLUGIN_PATHS", default=[])
FTRACK_EVENTS_ENABLED = env.bool("FTRACK_EVENTS_ENABLED", default=False)
FTRACK_PLUGIN_ARGUMENTS = env.json("FTRACK_PLUGIN_ARGUMENTS", default={})
# Link to a published version. The default is a real ftrack server's web UI; the dev server's review
# page is "{server}/review/version/{version_id}" (make run sets that).
FTRACK_VERSION_URL = env.str(
    "FTRACK_VERSION_URL", default="{server}/#slideEntityId={version_id}&slideEntityType=assetversion"
)
# Files at least this large go up in parallel parts where the server offers multi-part uploads.
FTRACK_MULTIPART_THRESHOLD = env.int("FTRACK_MULTIPART_THRESHOLD", default=256 * 1024**2)
FTRACK_MULTIPART_CHUNK = env.int("FTRACK_MULTIPART_CHUNK", default=0)  # 0 = ftrack's own part sizes
FTRACK_ENCODE_POLL = env.float("FTRACK_ENCODE_POLL", default=1.0)

# --- Publishing -----------------------------------------------------------------------------------
PUBLISH_MAX_ATTEMPTS = env.int("PUBLISH_MAX_ATTEMPTS", default=5)
PUBLISH_RETRY_BASE = env.int("PUBLISH_RETRY_BASE", default=30)
PUBLISH_RETRY_CEILING = env.int("PUBLISH_RETRY_CEILING", default=900)
PUBLISH_STALL_AFTER = env.int("PUBLISH_STALL_AFTER", default=600)
# Frame rate of a review movie built from an image sequence when the shot has no fps attribute.
SEQUENCE_DEFAULT_FPS = env.float("SEQUENCE_DEFAULT_FPS", default=24.0)
DASHBOARD_PAGE_SIZE = env.int("DASHBOARD_PAGE_SIZE", default=50)

# --- Notifications and webhooks -------------------------------------------------------------------
NOTIFICATIONS_POLL_SECONDS = env.int("NOTIFICATIONS_POLL_SECONDS", default=20)
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=6)
WEBHOOK_RETRY_BASE = env.int("WEBHOOK_RETRY_BASE", default=30)
WEBHOOK_RETRY_CEILING = env.int("WEBHOOK_RETRY_CEILING", default=3600)
WEBHOOK_TIMEOUT = env.float("WEBHOOK_TIMEOUT", default=10.0)
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", default=False)

# --- Redis and Celery -----------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL)
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = "UTC"
# A publish must survive its worker dying: acknowledge only when it is done, and put it back when
# the process running it is killed. Every stage checks ftrack first, so a second run resumes
# instead of duplicating.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_RESULT_EXPIRES = 24 * 3600
# Publishing is long and holds an ftrack session; maintenance (watchdog, sweeps, webhooks) is short,
# so it has its own queue and never waits behind a 10 GB upload.
CELERY_TASK_DEFAULT_QUEUE = "maintenance"
CELERY_TASK_ROUTES = {
    "publishing.tasks.publish_job": {"queue": "publish"},
    "publishing.tasks.requeue_stalled_jobs": {"queue": "maintenance"},
}
# Generous for multi-GB uploads; the soft limit lets the job record why it stopped.
PUBLISH_SOFT_TIME_LIMIT = env.int("PUBLISH_SOFT_TIME_LIMIT", default=4 * 3600)
PUBLISH_HARD_TIME_LIMIT = env.int("PUBLISH_HARD_TIME_LIMIT", default=4 * 3600 + 300)
CELERY_TASK_SOFT_TIME_LIMIT = PUBLISH_SOFT_TIME_LIMIT
CELERY_TASK_TIME_LIMIT = PUBLISH_HARD_TIME_LIMIT
# Lets several portals (or test runs) share one Redis without taking each other's messages.
CELERY_KEY_PREFIX = env.str("CELERY_KEY_PREFIX", default="")
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Redis redelivers an unacknowledged message after this long: longer than the hard limit, so
    # a slow publish is not handed to a second worker while the first still runs.
    "visibility_timeout": PUBLISH_HARD_TIME_LIMIT + 3600,
    **({"global_keyprefix": CELERY_KEY_PREFIX} if CELERY_KEY_PREFIX else {}),
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# How often the watchdog looks for jobs whose worker died (seconds).
PUBLISH_WATCHDOG_EVERY = env.float("PUBLISH_WATCHDOG_EVERY", default=60.0)
CELERY_BEAT_SCHEDULE = {
    "requeue-stalled-publish-jobs": {
        "task": "publishing.tasks.requeue_stalled_jobs",
        "schedule": PUBLISH_WATCHDOG_EVERY,
    },
    # Abandoned partial uploads: UPLOAD_EXPIRY is hours, so an hourly sweep is prompt enough.
    "cleanup-expired-uploads": {"task": "publishing.tasks.cleanup_expired_uploads", "schedule": 3600.0},
    # Re-check every stored ftrack key at night, so a revoked key is found before the next publish.
    "reverify-credentials": {
        "task": "publishing.credentials_reverify",
        "schedule": crontab(hour=3, minute=30),
    },
    # Webhook deliveries whose backoff has run out get their next attempt.
    "retry-due-webhooks": {"task": "publishing.webhooks_retry_due", "schedule": 30.0},
}

# --- Email ----------------------------------------------------------------------------------------
# Mail goes to the console until an SMTP server is named.
EMAIL_HOST = env.str("EMAIL_HOST", default="")
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Review Portal <portal@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Browser security headers ---------------------------------------------------------------------
# Content Security Policy (django-csp). Every page loads its scripts and styles from our own static
# files, with no inline <script>, style block or style attribute. Checked in Chromium
# (tests/security/test_csp_browser.py), including Uppy's Dashboard during an upload: Uppy sets its
# styles through the CSSOM (element.style), which CSP does not govern, so no 'unsafe-inline' is needed
# anywhere. Add a source here only with a browser test that needs it.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "media-src": ["'self'", "blob:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- Production hardening -------------------------------------------------------------------------
if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    # The portal only speaks HTTPS in production; plain-HTTP requests are redirected. Turn off only
    # when a proxy in front already redirects (and then set SECURE_PROXY_SSL_HEADER).
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # Health checks from the load balancer may come in over plain HTTP (regexes, no leading slash).
    # /healthz answers container healthchecks over plain HTTP on the loopback.
    SECURE_REDIRECT_EXEMPT = env.list("SECURE_REDIRECT_EXEMPT", default=[r"^healthz$"])
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    if not SECURE_HSTS_PRELOAD:
        # Joining the browsers' HSTS preload list is a decision for the owner of the whole domain
        # (hard to undo), not a default of this application: the check that asks for it is silenced
        # until SECURE_HSTS_PRELOAD=true (docs/security.md).
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
    # Behind a TLS-terminating proxy (set SECURE_PROXY_SSL_HEADER=true only when that proxy strips it).
    if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Logging --------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Importing the filter also installs a log-record factory that redacts every record of the
    # process (Celery's own handlers, caplog...): API keys, passwords, tokens (publishing/core/logging_filters.py).
    "filters": {"redact_secrets": {"()": "publishing.core.logging_filters.RedactSecrets"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact_secrets"]}
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.server": {"level": "WARNING"}},
}
