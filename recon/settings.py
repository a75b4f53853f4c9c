"""Settings, driven by environment variables.

Defaults give the embedded mode (SQLite, a filesystem Celery broker) so that `make run` needs no
server; production sets DATABASE_URL, CELERY_BROKER_URL, SECRET_KEY, DEBUG=false and ALLOWED_HOSTS.
Every variable may also be read from a file named by VAR_FILE (Docker/Kubernetes secrets).
A value that cannot be parsed stops the process at start with the variable's name.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from recon.core.envfile import env_value

BASE_DIR = Path(__file__).resolve().parent.parent


# Every variable below is read through _get, so each one may come from a file.
_get = env_value


VAR_DIR = Path(_get("RECON_VAR_DIR", BASE_DIR / "var"))

env = environ.Env()


def _bool(name: str, default: bool) -> bool:
    raw = _get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use true/false)")


def _int(name: str, default: int) -> int:
    raw = _get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from exc


DEVELOPMENT_SECRET_KEY = "embedded-mode-only-not-secret"  # noqa: S105 - refused with DEBUG off


def _secret_key_problem(key: str) -> str | None:
    """Why a key may not sign production sessions, or None (Django's own deploy rule, enforced at start)."""
    if not key.strip():
        return "is empty"
    if key == DEVELOPMENT_SECRET_KEY:
        return "is the public development key"
    if key.startswith("django-insecure-"):
        return "is a generated development key (django-insecure-…)"
    if len(key) < 50 or len(set(key)) < 5:
        return "is too weak: use at least 50 characters with at least 5 different ones"
    return None


DEBUG = _bool("DEBUG", True)
SECRET_KEY = _get("SECRET_KEY", "")
if not DEBUG:
    _problem = _secret_key_problem(SECRET_KEY)
    if _problem:
        raise ImproperlyConfigured(
            f"SECRET_KEY {_problem}; with DEBUG=false set a long random one, e.g. "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
elif not SECRET_KEY.strip():
    SECRET_KEY = DEVELOPMENT_SECRET_KEY
ALLOWED_HOSTS = [h.strip() for h in _get("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in _get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "django_celery_beat",
    "recon.core",  # the core app keeps the label "recon" (tables, permissions, migrations)
    "orders",
    "couriers",
    "returns",
    "payments",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "recon.api.errors.ApiErrorMiddleware",  # inside the locale middleware: its messages are translated
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "recon.web.middleware.LoginRequiredMiddleware",
    "recon.audit.services.AuditContextMiddleware",
    # Last, so that it turns the lockout flagged during authentication into the locked-out login page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "recon.urls"
WSGI_APPLICATION = "recon.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "reports.notifications.notifications_context",
            ],
        },
    },
]

# The app's role may read and write rows but owns no table; schema changes and grants run as the owner, whose
# URL (DATABASE_MIGRATE_URL) is used only by the commands below, run from the command line.
OWNER_COMMANDS = ("migrate", "db_grant_app_role")
_command = sys.argv[1] if len(sys.argv) > 1 and Path(sys.argv[0]).name in {"manage.py", "django-admin"} else None
_database_var = "DATABASE_MIGRATE_URL" if _command in OWNER_COMMANDS and _get("DATABASE_MIGRATE_URL") else "DATABASE_URL"
try:
    DATABASES = {"default": env.db_url_config(_get(_database_var) or f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
except (environ.ImproperlyConfigured, ValueError, KeyError) as exc:
    raise ImproperlyConfigured(f"{_database_var} is not a valid database URL: {exc}") from exc
DATABASE_VENDOR = "postgresql" if "postgresql" in DATABASES["default"]["ENGINE"] else "sqlite"
if DATABASE_VENDOR == "sqlite":
    # WAL and immediate transactions let the web process and the worker write the same file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 30, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
    # A file (not :memory:) so that a worker process started by the tests sees the test database.
    # One per test process, so that two suites on one machine never share (and corrupt) it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-db-{os.getpid()}.sqlite3")}
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", _int("CONN_MAX_AGE", 60))
    # A kept connection that PostgreSQL closed (a restart, a failover) is replaced at the next request, not used for a 500.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # JIT compiles each big read for seconds (2.3 s per load of the outbound run at 500,000 orders) to save less.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "recon.web.login_throttle.LoginThrottleBackend",  # refuses locked-out users and addresses before the password is checked
    "django.contrib.auth.backends.ModelBackend",
]

# Login throttling (django-axes): a username locks after LOGIN_FAILURES_PER_USER failures from anywhere, an address
# after LOGIN_FAILURES_PER_ADDRESS failures for any username or API token, for LOGIN_COOLOFF_MINUTES or until a
# manager lifts it (admin: Access attempts, or `manage.py axes_reset_username NAME` / `axes_reset_ip ADDRESS`).
LOGIN_FAILURES_PER_USER = _int("LOGIN_FAILURES_PER_USER", 5)
LOGIN_FAILURES_PER_ADDRESS = _int("LOGIN_FAILURES_PER_ADDRESS", 20)
if LOGIN_FAILURES_PER_USER < 1 or LOGIN_FAILURES_PER_ADDRESS < 1:
    raise ImproperlyConfigured("LOGIN_FAILURES_PER_USER and LOGIN_FAILURES_PER_ADDRESS must be at least 1")
AXES_HANDLER = "recon.web.login_throttle.LoginAttemptHandler"
AXES_FAILURE_LIMIT = LOGIN_FAILURES_PER_USER
AXES_LOCKOUT_PARAMETERS = "recon.web.login_throttle.lockout_parameters"
AXES_COOLOFF_TIME = _int("LOGIN_COOLOFF_MINUTES", 30) / 60 or None  # hours; 0 keeps the lock until a manager lifts it
AXES_LOCKOUT_CALLABLE = "recon.web.login_throttle.lockout_response"
# The same client address as the audit trail's: REMOTE_ADDR, or X-Forwarded-For behind a proxy that overwrites it.
AUDIT_TRUST_X_FORWARDED_FOR = _bool("AUDIT_TRUST_X_FORWARDED_FOR", False)
AXES_CLIENT_IP_CALLABLE = "recon.audit.services.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["recon.core.formats"]  # money in Chinese grouped by thousands with commas, as in English
TIME_ZONE = _get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(_get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = Path(_get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"

# Uploads: the limit is ours (checked with a clear message), Django's in-memory threshold stays small.
UPLOAD_MAX_BYTES = _int("UPLOAD_MAX_MB", 200) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
# What an upload may hold, checked before any parser opens it (recon/ingest/limits.py; README "Upload limits").
INGEST_LIMITS = {
    "max_rows": _int("INGEST_MAX_ROWS", 1_100_000),
    "max_columns": _int("INGEST_MAX_COLUMNS", 100),
    "max_cell_chars": _int("INGEST_MAX_CELL_CHARS", 32_767),
    "max_line_chars": _int("INGEST_MAX_LINE_CHARS", 3_300_000),
    "max_sheets": _int("INGEST_MAX_SHEETS", 255),
    "max_zip_entries": _int("INGEST_MAX_ZIP_ENTRIES", 2_000),
    "max_uncompressed_bytes": _int("INGEST_MAX_UNCOMPRESSED_MB", 2048) * 1024 * 1024,
    "max_part_bytes": _int("INGEST_MAX_PART_MB", 1536) * 1024 * 1024,
    "max_compression_ratio": _int("INGEST_MAX_COMPRESSION_RATIO", 200),
    "memory_mb": _int("INGEST_MEMORY_MB", 4096),
    "timeout_s": _int("INGEST_TIMEOUT_SECONDS", 900),
    "sniff_memory_mb": _int("INGEST_SNIFF_MEMORY_MB", 512),
    "sniff_timeout_s": _int("INGEST_SNIFF_TIMEOUT_SECONDS", 20),
}
for _name, _value in INGEST_LIMITS.items():
    if _value <= 0:
        raise ImproperlyConfigured(f"the upload limit {_name} must be a positive number, not {_value}")
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "recon.web.login_throttle.ThrottledTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Every endpoint lists the permissions of each action (recon.core.permissions); an undeclared action is refused.
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated", "recon.core.permissions.DeclaredPermissions"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "recon.review.ordering.OrderingFilter",  # steps aside where the FilterSet sorts
    ],
    "DEFAULT_PAGINATION_CLASS": "recon.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "recon.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "recon.api.errors.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "对账 API",
    "DESCRIPTION": "Courier bills, shipments, reconciliation runs and discrepancies.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a `status`; each enum gets its model's name instead of a hash.
    "ENUM_NAME_OVERRIDES": {
        "DiscrepancyStatusEnum": "recon.core.models.Discrepancy.Status",
        "JobStatusEnum": "recon.core.models.ReconRun.Status",  # runs and bulk actions share it
        "PeriodStatusEnum": "recon.core.models.ReconPeriod.Status",
        "DisputeStatusEnum": "recon.core.models.Dispute.Status",
        "ShipmentStatusEnum": "orders.models.Shipment.Status",
        "ShortfallOutcomeEnum": "recon.core.models.Discrepancy.ShortfallOutcome",  # the outcome and the decision share it
    },
}

# Celery: the filesystem transport needs no server (embedded mode); production uses Redis.
CELERY_BROKER_URL = _get("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.split(":", 1)[0] not in {"filesystem", "redis", "rediss", "memory", "amqp"}:
    raise ImproperlyConfigured(f"CELERY_BROKER_URL={CELERY_BROKER_URL!r} has an unsupported scheme")
if CELERY_BROKER_URL.startswith("filesystem"):
    _broker_dir = Path(_get("CELERY_BROKER_DIR", VAR_DIR / "broker"))
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_IGNORE_RESULT = True  # run state lives in ReconRun rows, not in a result backend

# Runs: what keeps one from ever staying 'pending' or 'running' for good.
# - Outbox: a run row is committed before its message is sent; if the send fails (broker down) the upload
#   still succeeds and the run stays 'pending'. `run_requeue_pending` (beat) re-sends pending runs whose
#   last send is older than RUN_REQUEUE_AFTER_SECONDS (then 2x, 4x … up to RUN_REQUEUE_MAX_SECONDS, so a
#   long queue is not flooded). A run delivered twice runs once: the worker claims it with a conditional
#   update (pending -> running) and drops a message whose run is no longer pending.
# - Heartbeat: a running run's worker writes `heartbeat_at` every RUN_HEARTBEAT_SECONDS from a thread;
#   `run_recover_stale` (beat) fails a running run whose heartbeat is older than
#   RUN_HEARTBEAT_TIMEOUT_SECONDS with `worker_lost`. Its results were never committed (a run saves in
#   one transaction, which also checks that the run is still 'running'), so the user simply runs it again.
# - acks_late + reject_on_worker_lost + prefetch 1: a message is acknowledged only when its task ends, and
#   is handed back to the broker if the worker process dies, so a message taken by a worker that dies
#   before claiming the run is delivered again. If the worker died after the claim, the redelivered
#   message finds the run 'running' (or already failed by the sweep) and does nothing: the heartbeat
#   sweep, not the redelivery, ends such a run.
# - Redis visibility timeout: Redis redelivers an unacknowledged message after this many seconds even
#   though its worker is still alive. It must exceed the longest run, or a long run would be delivered to
#   a second worker meanwhile (harmless, thanks to the claim, but wasteful); messages of a worker killed
#   outright wait that long before coming back, which is why the sweeps above do not rely on them.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
if CELERY_BROKER_URL.startswith(("redis", "rediss")):
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": _int("CELERY_VISIBILITY_TIMEOUT_SECONDS", 6 * 3600)}
CELERY_TASK_ALWAYS_EAGER = _bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
RUN_SWEEP_EVERY_SECONDS = _int("RUN_SWEEP_EVERY_SECONDS", 30)
# A sweep not picked up before the next one is due expires: a worker back from a pause runs one, not a backlog.
_SWEEP = {"schedule": float(RUN_SWEEP_EVERY_SECONDS), "options": {"expires": float(RUN_SWEEP_EVERY_SECONDS)}}
# Beat reads its schedule from the database (django-celery-beat): a manager edits it in the admin (定时任务). The sweeps
# below are the system's own and written into it each time beat starts; schedules meant to be edited (the daily runs)
# are created by data migrations instead, so that beat's start does not undo an edit.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "recover-stale-runs": {"task": "recon.tasks.run_recover_stale", **_SWEEP},
    "requeue-pending-runs": {"task": "recon.tasks.run_requeue_pending", **_SWEEP},
}

# Exports: a discrepancy download of more rows than this is written by a worker and lands on "my exports", where
# its file is kept this many days.
EXPORT_ASYNC_ROWS = _int("EXPORT_ASYNC_ROWS", 50_000)
EXPORT_KEEP_DAYS = _int("EXPORT_KEEP_DAYS", 7)

RUN_REQUEUE_AFTER_SECONDS = _int("RUN_REQUEUE_AFTER_SECONDS", 60)
RUN_REQUEUE_MAX_SECONDS = _int("RUN_REQUEUE_MAX_SECONDS", 3600)
RUN_HEARTBEAT_SECONDS = _int("RUN_HEARTBEAT_SECONDS", 10)
RUN_HEARTBEAT_TIMEOUT_SECONDS = _int("RUN_HEARTBEAT_TIMEOUT_SECONDS", 90)

# Kinds of reconciliation beyond the core's map (recon.kinds.KINDS): code → dotted path of a KindSpec. Empty in
# production; a test suite declares its own kind here without editing the core.
RECON_EXTRA_KINDS: dict = {}
# Who takes a courier bill's lines of another business (code → dotted path of a couriers.bill_lines.BillLineTaker):
# return freight billed among the outbound parcels goes to returns reconciliation, not to courier fees' checks.
COURIER_BILL_LINE_TAKERS: dict = {"returns": "returns.bill_lines.RETURN_FREIGHT_TAKER"}
if RUN_HEARTBEAT_TIMEOUT_SECONDS < 3 * RUN_HEARTBEAT_SECONDS:
    raise ImproperlyConfigured("RUN_HEARTBEAT_TIMEOUT_SECONDS must be at least 3 x RUN_HEARTBEAT_SECONDS")
# Test hook only (tests/recon/test_run_resilience.py): a worker started with it holds the save transaction
# open this many seconds after writing, so a test can kill the worker or stop the database mid-save.
RECON_TEST_HOLD_SAVE_SECONDS = _int("RECON_TEST_HOLD_SAVE_SECONDS", 0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": _get("LOG_LEVEL", "INFO")},
    # axes logs each failed login as a warning (worth keeping) and each successful one at info (noise).
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"},
                # WeasyPrint logs every layout step of a PDF at info.
                "weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}

if not DEBUG:
    # Secure by default (`check --deploy` is clean); a deployment served over plain HTTP turns each one off by name.
    SESSION_COOKIE_SECURE = _bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = _bool("SECURE_COOKIES", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = _bool("SECURE_SSL_REDIRECT", True)
    # Health probes come from inside the network over plain HTTP; a redirect would fail them.
    SECURE_REDIRECT_EXEMPT = [p.strip() for p in _get("SECURE_REDIRECT_EXEMPT", r"^health").split(",") if p.strip()]
    SECURE_HSTS_SECONDS = _int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = _bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = _bool("SECURE_HSTS_PRELOAD", True)
    SECURE_CONTENT_TYPE_NOSNIFF = True

VAR_DIR.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT.mkdir(parents=True, exist_ok=True)
STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# Alerts (预警) and the scheduled report emails. The embedded default prints each email on the console (the worker's or
# the server's log); a deployment names its own backend (smtp) and host settings.
EMAIL_BACKEND = _get("EMAIL_BACKEND", "") or "django.core.mail.backends.console.EmailBackend"
EMAIL_HOST = _get("EMAIL_HOST", "") or "localhost"
EMAIL_PORT = _int("EMAIL_PORT", 25)
EMAIL_HOST_USER = _get("EMAIL_HOST_USER", "") or ""
EMAIL_HOST_PASSWORD = _get("EMAIL_HOST_PASSWORD", "") or ""
EMAIL_USE_TLS = _bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = _get("DEFAULT_FROM_EMAIL", "") or "recon@localhost"
# Where the links in alert emails point (the address people open the product at).
REPORTS_SITE_URL = (_get("REPORTS_SITE_URL", "") or "http://localhost:8000").rstrip("/")
# A dispute still waiting for the counterparty's answer this many days after it was sent raises a reminder alert.
REPORTS_DISPUTE_REMINDER_DAYS = _int("REPORTS_DISPUTE_REMINDER_DAYS", 14)
# The period report's CSV on PostgreSQL: the discrepancy types' blocks are written by this many database connections at
# once, all reading one snapshot (1 writes them one after another on the request's own connection).
REPORTS_CSV_COPY_WORKERS = max(1, _int("REPORTS_CSV_COPY_WORKERS", 2))
