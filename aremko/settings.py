"""Project settings. Every value comes from the environment (documented in .env.example).

Defaults run the demo with no installed service: SQLite, a filesystem Celery
broker, console/file backends. DATABASE_URL and CELERY_BROKER_URL switch to
PostgreSQL and Redis.
"""

import datetime
import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# A local .env is a convenience for developers; the process environment always wins.
# parse_comments: ".env.example" documents values with trailing "# ..." comments.
environ.Env.read_env(os.environ.get("ENV_FILE", BASE_DIR / ".env"), overwrite=False, parse_comments=True)
# An empty variable (KEY= in a .env, or exported empty by deploy tooling) means "unset":
# without this, DATABASE_URL= would be read as a database URL and fail obscurely. Values
# padded before a trailing comment lose the padding.
for _name, _value in list(os.environ.items()):
    if not _name.isupper():
        continue
    if not _value.strip():
        del os.environ[_name]
    elif _value != _value.rstrip():
        os.environ[_name] = _value.rstrip()

DEBUG = env.bool("DEBUG", default=False)

# Refuse to start in production with a guessable key: a missing SECRET_KEY is a
# configuration fault, not something to paper over with a default.
if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="insecure-dev-key-only-for-local-demo")
else:
    SECRET_KEY = env.str("SECRET_KEY", default="")
    if not SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Absolute base for links in emails and SMS (unsubscribe, tracking).
SITE_URL = env.str("SITE_URL", default="http://localhost:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_celery_beat",
    "ventas",
    "communications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "aremko.urls"
WSGI_APPLICATION = "aremko.wsgi.application"

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

# --- Database -------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work beside the single writer; IMMEDIATE transactions take
    # the write lock at BEGIN, which is what makes the gate exact on SQLite.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The cache carries cross-worker switches (a channel paused after bad credentials,
# poll throttles): in production point it at Redis so every worker sees them.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Language and time ------------------------------------------------------
LANGUAGE_CODE = "es-cl"
LANGUAGES = [("es-cl", "Español (Chile)")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
# Every "today", window and quiet hour is local to Santiago; rows store UTC.
TIME_ZONE = "America/Santiago"
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Email ------------------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)  # implicit TLS (port 465); never with EMAIL_USE_TLS
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Aremko Spa <comunicaciones@aremko.cl>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Sender identity in every email footer: Ley 19.496 art. 28 B asks commercial
# messages to say who sends them and how to stop them.
COMPANY_NAME = env.str("COMPANY_NAME", default="Aremko Spa")
COMPANY_ADDRESS = env.str("COMPANY_ADDRESS", default="Camino a Ensenada km 10, Puerto Varas, Chile")
# The mailto half of List-Unsubscribe (RFC 2369); the HTTPS half is our one-click URL (RFC 8058).
UNSUBSCRIBE_MAILTO = env.str("UNSUBSCRIBE_MAILTO", default="baja@aremko.cl")
# Unsubscribe, preference and tracking links stay valid this long: people open old mail.
EMAIL_LINK_MAX_AGE_DAYS = env.int("EMAIL_LINK_MAX_AGE_DAYS", default=365)
# Open pixel and click redirects in email.
EMAIL_TRACKING = env.bool("EMAIL_TRACKING", default=True)
# Opens this soon after sending, or from these user agents (case-insensitive substrings),
# are machines (privacy proxies, link scanners), not people: they never count as engagement.
EMAIL_MACHINE_OPEN_SECONDS = env.int("EMAIL_MACHINE_OPEN_SECONDS", default=10)
EMAIL_MACHINE_USER_AGENTS = env.list(
    "EMAIL_MACHINE_USER_AGENTS",
    default=[
        "Barracuda",
        "Mimecast",
        "Proofpoint",
        "SafeLinks",
        "Symantec",
        "Trend Micro",
        "Forcepoint",
        "bot",
        "crawler",
        "spider",
        "python-requests",
        "curl/",
    ],
)
# Shared secret of the bounce/complaint webhook (Authorization: Bearer ...); empty disables it.
EMAIL_WEBHOOK_SECRET = env.str("EMAIL_WEBHOOK_SECRET", default="")

# --- Celery -----------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://localhost/")
if CELERY_BROKER_URL.startswith("filesystem://"):
    # A broker without a server, for the demo: messages are files under var/.
    _broker_dir = VAR_DIR / "celery-broker"
    # The transport lists these folders on startup and does not create them.
    _broker_dir.mkdir(parents=True, exist_ok=True)
    (VAR_DIR / "celery-processed").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(VAR_DIR / "celery-processed"),
        "control_folder": str(VAR_DIR / "celery-control"),
        "store_processed": False,
    }
else:
    # visibility_timeout must exceed the longest countdown we ever use (minutes, see §6).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
# No result backend: outcomes live on the Message row.
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Every periodic task (outbox sweep, triggers, SMS polls) is registered by a
# communications migration: one mechanism, visible and editable in the admin.

# --- Communications ---------------------------------------------------------
# Anti-spam caps (ARCHITECTURE.md §5). Names follow the seed plan.
SMS_DAILY_LIMIT = env.int("SMS_DAILY_LIMIT", default=2)
SMS_MONTHLY_LIMIT = env.int("SMS_MONTHLY_LIMIT", default=8)
EMAIL_WEEKLY_LIMIT = env.int("EMAIL_WEEKLY_LIMIT", default=1)

SMS_BACKEND = env.str("SMS_BACKEND", default="communications.channels.sms.backends.console.SmsBackend")
REDVOISS_API_URL = env.str("REDVOISS_API_URL", default="https://sms.lanube.cl/services/rest")
REDVOISS_USERNAME = env.str("REDVOISS_USERNAME", default="")
REDVOISS_PASSWORD = env.str("REDVOISS_PASSWORD", default="")
# (connect, read) seconds. A read timeout on a send is ambiguous (the SMS may have gone
# out), so the read timeout is generous; the connect timeout is short (nothing was sent).
REDVOISS_CONNECT_TIMEOUT = env.float("REDVOISS_CONNECT_TIMEOUT", default=5.0)
REDVOISS_READ_TIMEOUT = env.float("REDVOISS_READ_TIMEOUT", default=20.0)
# Answers larger than this are not read (a broken or hostile endpoint must not exhaust memory).
REDVOISS_MAX_RESPONSE_BYTES = env.int("REDVOISS_MAX_RESPONSE_BYTES", default=1_000_000)
# REDVOISS.md: a 5xx answer to a send is ambiguous (the SMS may have gone out), so by
# default it becomes "unknown" and is never resent. Set true only if the provider
# confirms that a 5xx means nothing was queued: then it is retried with backoff.
REDVOISS_RETRY_SEND_ON_5XX = env.bool("REDVOISS_RETRY_SEND_ON_5XX", default=False)
# "e164" (+569XXXXXXXX, observed) or "digits" (569XXXXXXXX, one docstring says so).
SMS_DESTINATION_FORMAT = env.str("SMS_DESTINATION_FORMAT", default="e164")
# Where the filebased SMS backend writes (one file per process).
SMS_FILE_PATH = env.str("SMS_FILE_PATH", default=str(VAR_DIR / "sms"))

# --- Security (production) --------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- Logging ----------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Quiet hours for marketing (ARCHITECTURE.md §5): open 09:00-20:00 local,
# Monday (0) to Saturday (5), never on Chilean public holidays.
QUIET_HOURS_OPEN = datetime.time.fromisoformat(env.str("QUIET_HOURS_OPEN", default="09:00"))
QUIET_HOURS_CLOSE = datetime.time.fromisoformat(env.str("QUIET_HOURS_CLOSE", default="20:00"))
QUIET_HOURS_OPEN_WEEKDAYS = tuple(env.list("QUIET_HOURS_OPEN_WEEKDAYS", cast=int, default=[0, 1, 2, 3, 4, 5]))
QUIET_HOURS_SKIP_HOLIDAYS = env.bool("QUIET_HOURS_SKIP_HOLIDAYS", default=True)
# Birthdays on Sundays and holidays (no marketing hours) go in this local daytime window.
BIRTHDAY_WINDOW_START = datetime.time.fromisoformat(env.str("BIRTHDAY_WINDOW_START", default="10:00"))
BIRTHDAY_WINDOW_END = datetime.time.fromisoformat(env.str("BIRTHDAY_WINDOW_END", default="13:00"))
# A cabin night (a service of 1,440 minutes or more) ends at checkout the next morning:
# the satisfaction survey waits for the stay to end, not for 24 h after check-in.
CABIN_CHECKOUT_TIME = datetime.time.fromisoformat(env.str("CABIN_CHECKOUT_TIME", default="11:00"))
# How far ahead the gate looks for a free slot before it gives up (days).
DEFERRAL_HORIZON_DAYS = env.int("DEFERRAL_HORIZON_DAYS", default=100)
# Sending: lease per claim, transient retries and their backoff (seconds).
MESSAGE_LEASE_SECONDS = env.int("MESSAGE_LEASE_SECONDS", default=300)
MESSAGE_MAX_ATTEMPTS = env.int("MESSAGE_MAX_ATTEMPTS", default=5)
MESSAGE_RETRY_BASE_SECONDS = env.int("MESSAGE_RETRY_BASE_SECONDS", default=30)
MESSAGE_RETRY_MAX_SECONDS = env.int("MESSAGE_RETRY_MAX_SECONDS", default=900)
# A channel that answered "bad credentials" pauses this long before trying again.
CHANNEL_PAUSE_SECONDS = env.int("CHANNEL_PAUSE_SECONDS", default=900)
# SweepRun rows (one per beat task run) older than this are pruned.
SWEEP_RUN_RETENTION_DAYS = env.int("SWEEP_RUN_RETENTION_DAYS", default=14)
# SMS price per segment (CLP), from the provider's quote.
SMS_COST_PER_SEGMENT_CLP = env.int("SMS_COST_PER_SEGMENT_CLP", default=12)
SMS_TRANSLITERATE_MARKETING = env.bool("SMS_TRANSLITERATE_MARKETING", default=True)
# Longest SMS (in segments) a template may produce; each segment is billed.
SMS_MAX_SEGMENTS = env.int("SMS_MAX_SEGMENTS", default=3)
# Provider status keeps changing for up to 24 h after sending (REDVOISS.md); replies
# may come later, so they are polled for longer. The beat entries (admin) set how often.
SMS_STATUS_POLL_HOURS = env.int("SMS_STATUS_POLL_HOURS", default=24)
SMS_REPLY_POLL_HOURS = env.int("SMS_REPLY_POLL_HOURS", default=72)
