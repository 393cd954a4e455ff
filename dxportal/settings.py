"""DX Portal settings: one module, read from the environment.

With no environment at all this runs the embedded default: SQLite in the project folder, no Redis
(Celery tasks run eagerly), console e-mail. Production sets DATABASE_URL, REDIS_URL, SECRET_KEY,
ALLOWED_HOSTS and the e-mail variables (see .env.example).
"""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from core.env import envbool, envint, envlist

BASE_DIR = Path(__file__).resolve().parent.parent


# --- Core: debug, secret, hosts ------------------------------------------------------------------
DEBUG = envbool("DEBUG", "True")
SECRET_KEY = os.getenv("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")
SITE_URL = os.getenv("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# --- Applications and request handling -----------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "simple_history",
    "import_export",
    "dxportal.apps.AxesConfig",  # failed-login lockout (django-axes, named in Japanese for the admin)
    "rest_framework",  # the open-data API
    "drf_spectacular",  # its OpenAPI schema
    # The project's apps, lowest layer first (import-linter contracts in pyproject.toml keep the direction).
    "plans",
    "jobs",
    "measures",
    "milestones",
    "work",
    "office",  # the 事務局's home
    "importing",
    "dashboard",
    "council",
    "api",
    "evaluations",
    "governance",  # 推進体制, meetings, plan revisions
    "devdata",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "dxportal.security.MalformedRequestMiddleware",  # NUL bytes, out-of-range numbers: 400, never a 500
    "dxportal.security.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "dxportal.middleware.SlidingSessionMiddleware",
    "dxportal.middleware.JapaneseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "dxportal.security.RequestSizeLimitMiddleware",  # Japanese 413 before anything reads the body
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",  # must stay last
]

ROOT_URLCONF = "dxportal.urls"

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
                "django.template.context_processors.i18n",
                "plans.context_processors.portal",
            ],
        },
    },
]

WSGI_APPLICATION = "dxportal.wsgi.application"

# --- Database ------------------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        os.getenv("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=envint("DB_CONN_MAX_AGE", "0"),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several workers (or a test thread and a live server) share the file: wait rather than fail.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts, language, time, static files, sessions --------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", "日本語"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", str(60 * 60 * 8))
# Expiry counts from the last activity, not from login: dxportal.middleware.SlidingSessionMiddleware pushes it
# forward at most once per SESSION_REFRESH_SECONDS (not a database write on every page view).
SESSION_REFRESH_SECONDS = envint("SESSION_REFRESH_SECONDS", "300")

# --- Redis / Celery -------------------------------------------------------------------------
REDIS_URL = os.getenv("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL  # embedded default: no broker, tasks run inline
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE: dict = {}

# --- E-mail ---------------------------------------------------------------------------------
EMAIL_BACKEND = os.getenv(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if not os.getenv("EMAIL_HOST")
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.getenv("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", "25")
EMAIL_HOST_USER = os.getenv("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.getenv("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS")
EMAIL_USE_SSL = envbool("EMAIL_USE_SSL")
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", "30")
DEFAULT_FROM_EMAIL = os.getenv("DEFAULT_FROM_EMAIL", "DX推進本部事務局 <dx-portal@localhost>")

# --- Portal ---------------------------------------------------------------------------------
PUBLIC_DASHBOARD = envbool("PUBLIC_DASHBOARD")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.getenv("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
ADMIN_URL = os.getenv("ADMIN_URL", "admin/").strip("/") + "/"

# --- Deadline reminders (milestones/reminders/) and background jobs (jobs/) -----------------------

REMINDER_SEND_TIME = os.getenv("REMINDER_SEND_TIME", "08:30")  # Asia/Tokyo, business days only
REMINDER_STAGES_DAYS_BEFORE = [int(d) for d in envlist("REMINDER_STAGES_DAYS_BEFORE", "30,7,1")]
REMINDER_OVERDUE_REPEAT_DAYS = envint("REMINDER_OVERDUE_REPEAT_DAYS", "7")
REMINDER_ESCALATE_AFTER_DAYS = envint("REMINDER_ESCALATE_AFTER_DAYS", "14")
REMINDER_STALE_DAYS = envint("REMINDER_STALE_DAYS", "30")
# A claim not completed within this many seconds (worker killed, Redis lost) is picked up again.
REMINDER_CLAIM_LEASE_SECONDS = envint("REMINDER_CLAIM_LEASE_SECONDS", "900")
REMINDER_SEND_MAX_RETRIES = envint("REMINDER_SEND_MAX_RETRIES", "5")
REMINDER_RETRY_BACKOFF_MAX = envint("REMINDER_RETRY_BACKOFF_MAX", "600")
# An unacknowledged task (worker killed) is delivered again after this many seconds.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": envint("CELERY_VISIBILITY_TIMEOUT", "3600")}
# Background jobs (jobs/): imports, large exports, the admin's send-now. A job past the soft limit is failed with a
# message; the hard limit kills it (its heartbeat then stops and the lease marks it failed).
JOBS_SOFT_TIME_LIMIT = envint("JOBS_SOFT_TIME_LIMIT", "600")
JOBS_HARD_TIME_LIMIT = envint("JOBS_HARD_TIME_LIMIT", "660")
JOBS_HEARTBEAT_SECONDS = envint("JOBS_HEARTBEAT_SECONDS", "10")
JOBS_LEASE_SECONDS = envint("JOBS_LEASE_SECONDS", "60")
_reminder_hour, _reminder_minute = (int(x) for x in REMINDER_SEND_TIME.split(":"))
CELERY_BEAT_SCHEDULE["send-daily-reminders"] = {
    "task": "milestones.tasks.send_daily_reminders",
    "schedule": crontab(hour=_reminder_hour, minute=_reminder_minute),
}
# --- Production hardening, login protection, audit, logging, upload limits ------------------------
# Behind the city's reverse proxy / load balancer (which terminates TLS), set TRUSTED_PROXY=True:
# then X-Forwarded-Proto decides "is this HTTPS" and the last X-Forwarded-For entry is the client IP.
TRUSTED_PROXY = envbool("TRUSTED_PROXY")
if TRUSTED_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", str(not DEBUG))
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # container healthchecks speak plain HTTP inside the network
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", "0" if DEBUG else str(60 * 60 * 24 * 365))
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", str(not DEBUG))
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", str(not DEBUG))
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = envbool("SECURE_COOKIES", str(not DEBUG))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# One static policy, no nonces: templates carry no inline <script>/style="" (see PREAMBLE/STYLE).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'self'; object-src 'none'"
)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=()"

AUTHENTICATION_BACKENDS = [
    "dxportal.security.AxesBackend",  # lockout check first; see its docstring about client.login()
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", "5")
AXES_COOLOFF_TIME = envint("AXES_COOLOFF_MINUTES", "30") / 60  # hours
# Per account: a city hall sits behind one NAT address, so locking by IP would lock everyone out.
# axes.W006 asks for ip_address; we lock the account instead (that already stops guessing one password),
# so the warning is silenced on purpose rather than satisfied with a redundant combination.
AXES_LOCKOUT_PARAMETERS = ["username"]
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "dxportal.security.lockout_response"  # Japanese page, 429
AXES_CLIENT_IP_CALLABLE = "plans.audit.client_ip"
AXES_VERBOSE = False

# Uploads: imports are at most IMPORT_MAX_BYTES; any request body above REQUEST_MAX_BYTES gets a 413
# before Django reads it. Bodies above the memory limits are streamed to a temporary file.
IMPORT_MAX_BYTES = envint("IMPORT_MAX_BYTES", str(10 * 1024 * 1024))
REQUEST_MAX_BYTES = envint("REQUEST_MAX_BYTES", str(IMPORT_MAX_BYTES + 512 * 1024))
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # non-file form data (Django's default, explicit)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000

# Logs never carry secrets, passwords or personal e-mail addresses: every handler masks them.
LOGGING["filters"] = {"mask_sensitive": {"()": "dxportal.logging_filters.MaskSensitiveDataFilter"}}
for _handler in LOGGING["handlers"].values():
    _handler["filters"] = ["mask_sensitive"]

# Optional read replica: reads go there, writes and migrations to the primary.
if os.getenv("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.getenv("DATABASE_REPLICA_URL"), conn_max_age=envint("DB_CONN_MAX_AGE", "0")
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["dxportal.db_router.ReplicaRouter"]
# --- Excel import and export of plans (importing/) -----------------------------------------------
IMPORT_MAX_ROWS = envint("IMPORT_MAX_ROWS", "20000")
# Zip-bomb guards, checked before a workbook is parsed: each part's unpacked size, and cells + shared strings.
IMPORT_MAX_PART_BYTES = envint("IMPORT_MAX_PART_BYTES", str(40 * 1024 * 1024))
IMPORT_MAX_CELLS = envint("IMPORT_MAX_CELLS", str(IMPORT_MAX_ROWS * 60))
IMPORT_STAGING_DIR = os.getenv("IMPORT_STAGING_DIR", "")  # uploads kept between preview and confirm; "" = temp dir
# The admin's export buttons neutralise formulas with core.formulas (importing.admin.SafeExportMixin); the library's
# own escaping only drops one leading "=" (so "==…", "+", "-", "@" survived) and turns numbers into text: off.
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = False

# --- Council dashboards and the open-data API -----------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.PortalReader"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer", "api.renderers.CSVRenderer"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.OpenDataPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "EXCEPTION_HANDLER": "api.permissions.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "DXポータル オープンデータAPI",
    "DESCRIPTION": "自治体DX推進計画の計画・施策・マイルストーン・指標の実績値・国の取組事項ごとの進捗（読み取り専用、JSON/CSV）",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
}
# Rendered dashboard bodies (dashboard/cache.py): Redis when configured, so all workers share the
# invalidation version; per-process memory otherwise. DASHBOARD_CACHE_SECONDS=0 turns it off.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "dashboard": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "dashboard"},
}
DASHBOARD_CACHE = "dashboard"
DASHBOARD_CACHE_SECONDS = envint("DASHBOARD_CACHE_SECONDS", "60")
