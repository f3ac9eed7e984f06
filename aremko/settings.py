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

# The key of the suppression list (hashed phones and emails of erased clients). Its own
# setting, never SECRET_KEY: rotating SECRET_KEY must not let an erased client's address
# resume marketing (Ley 21.719). Never change it once clients have been erased.
SUPPRESSION_KEY = env.str("SUPPRESSION_KEY", default="insecure-dev-suppression-key" if DEBUG else "")
if not SUPPRESSION_KEY:
    raise ImproperlyConfigured("SUPPRESSION_KEY must be set when DEBUG is off.")

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
    "csp",
    "aremko.apps.AuditlogEnEspanol",  # django-auditlog, named in Spanish
    "ventas",
    "communications",
]

MIDDLEWARE = [
    "communications.ops.logs.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
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
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
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
# The spa's public website: the admin's "Ver el sitio" opens it.
COMPANY_WEBSITE = env.str("COMPANY_WEBSITE", default="https://www.aremko.cl").rstrip("/")
# Where a client books online: the reactivation email's link ({{ enlace_reservas }} in templates).
BOOKING_URL = env.str("BOOKING_URL", default="https://www.aremko.cl/reservas")
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
# Optional: when set, the webhook also requires a timestamped HMAC (X-Aremko-Signature).
EMAIL_WEBHOOK_SIGNING_SECRET = env.str("EMAIL_WEBHOOK_SIGNING_SECRET", default="")
EMAIL_WEBHOOK_TOLERANCE_SECONDS = env.int("EMAIL_WEBHOOK_TOLERANCE_SECONDS", default=300)

# Public URLs (/c/): requests per minute. A bad token costs its IP; a valid one is limited
# per token; a valid unsubscribe POST is never refused (communications/web/limits.py).
RATE_LIMIT_INVALID_PER_IP = env.int("RATE_LIMIT_INVALID_PER_IP", default=20)
RATE_LIMIT_PER_TOKEN = env.int("RATE_LIMIT_PER_TOKEN", default=30)
# How many proxies in front of the app may set X-Forwarded-For (0: use the socket address).
RATE_LIMIT_TRUSTED_PROXIES = env.int("RATE_LIMIT_TRUSTED_PROXIES", default=0)

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
    # A task taken by a worker that died is redelivered after this many seconds.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)}
# No result backend: outcomes live on the Message row.
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TIMEZONE = TIME_ZONE
# Workers gc.freeze() their startup objects (aremko/celery.py): full collections then skip them.
WORKER_GC_FREEZE = env.bool("WORKER_GC_FREEZE", default=True)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Three queues, each with its own worker process (Procfile), so that a confirmation never
# waits behind a marketing batch and a "BAJA" reply poll never waits behind either.
# No broker priorities: the demo's filesystem transport has none.
CELERY_TASK_QUEUES = {name: {} for name in ("transactional", "marketing", "control")}
CELERY_TASK_DEFAULT_QUEUE = "control"
CELERY_TASK_ROUTES = ("communications.routing.route_task",)
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
# The clients' pages (/c/) load nothing from elsewhere and run no script. The admin is
# staff-only behind login and keeps Django's own defaults.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/admin/"],
    "DIRECTIVES": {
        "default-src": ["'none'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
    },
}

# --- Logging ----------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
# "plain" for people, "json" for a log collector (one object per line with request and task ids).
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "communications.ops.logs.ContextFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "communications.ops.logs.Formatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# --- Health and metrics (ARCHITECTURE §9) ---------------------------------------
HEALTH_TIMEOUT_SECONDS = env.float("HEALTH_TIMEOUT_SECONDS", default=2.0)
HEALTH_SWEEP_MAX_AGE_SECONDS = env.int("HEALTH_SWEEP_MAX_AGE_SECONDS", default=300)
HEALTH_OUTBOX_MAX_AGE_SECONDS = env.int("HEALTH_OUTBOX_MAX_AGE_SECONDS", default=900)
# /metrics answers a request with "Authorization: Bearer <METRICS_TOKEN>" or from an allowed network.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=[])
# Workers and beat serve their own counters on this port (0 = off), one per host.
METRICS_WORKER_PORT = env.int("METRICS_WORKER_PORT", default=0)
METRICS_WORKER_BIND = env.str("METRICS_WORKER_BIND", default="0.0.0.0")

# Optional error reporting. Personal data never leaves: no PII by default, and every
# event is scrubbed of phone numbers and email addresses before it is sent.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    import sentry_sdk

    from communications.ops.logs import scrub_event

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        send_default_pii=False,
        before_send=scrub_event,
        environment=env.str("SENTRY_ENVIRONMENT", default="production"),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )

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
# The outbox sweep re-publishes queued rows no task has taken after this long.
SWEEP_REENQUEUE_AFTER_SECONDS = env.int("SWEEP_REENQUEUE_AFTER_SECONDS", default=120)
# Retries of a task that meets a transient database error (locked, busy, connection lost).
TASK_DB_RETRY_MAX = env.int("TASK_DB_RETRY_MAX", default=5)
# "batched": one task claims up to SEND_BATCH_SIZE due rows of one channel and category and
# sends them in as few provider requests as allowed; "single": one task and one request per
# message (kept so both stay measurable: bench.send_bench).
SEND_MODE = env.str("SEND_MODE", default="batched")
if SEND_MODE not in ("batched", "single"):
    raise ImproperlyConfigured("SEND_MODE must be 'batched' or 'single'.")
SEND_BATCH_SIZE = env.int("SEND_BATCH_SIZE", default=200)
# Provider requests in flight at once inside one batch (personalised texts rarely share one).
SEND_BATCH_CONCURRENCY = env.int("SEND_BATCH_CONCURRENCY", default=8)
# Emails whose provider-call marker is committed together before their SMTP transactions.
# The batch marks and composes the next chunk while this one is being sent, so a worker
# killed mid-batch can leave up to twice this many emails "unknown" that never reached the
# server (never resent: staff settle them). Smaller costs two statements per chunk.
EMAIL_MARK_CHUNK = env.int("EMAIL_MARK_CHUNK", default=20)
# Destinations per Redvoiss request (REDVOISS.md gives no limit; 50 is the cautious default).
REDVOISS_MAX_DESTINATIONS = env.int("REDVOISS_MAX_DESTINATIONS", default=50)
# A channel that answered "bad credentials" pauses this long before trying again.
CHANNEL_PAUSE_SECONDS = env.int("CHANNEL_PAUSE_SECONDS", default=900)
# Ley 21.719: days to answer a data-rights request (the request log flags older open ones).
DATA_RIGHTS_DEADLINE_DAYS = env.int("DATA_RIGHTS_DEADLINE_DAYS", default=30)
# Message bodies, reply texts and provider payloads are purged after this many months;
# statuses, costs and counts stay for the dashboard.
MESSAGE_BODY_RETENTION_MONTHS = env.int("MESSAGE_BODY_RETENTION_MONTHS", default=24)
# SweepRun rows (one per beat task run) older than this are pruned.
SWEEP_RUN_RETENTION_DAYS = env.int("SWEEP_RUN_RETENTION_DAYS", default=14)
# Insights: churn is "no paid visit within this many days" (specs/insights.md).
CHURN_HORIZON_DAYS = env.int("CHURN_HORIZON_DAYS", default=180)
# The gate moves newsletter, loyalty, welcome and reactivation sends to the client's best hour.
SEND_TIME_ENABLED = env.bool("SEND_TIME_ENABLED", default=True)
# Share of those sends at a random allowed hour instead (chosen by HMAC of the idempotency key).
SEND_TIME_EXPLORATION_SHARE = env.float("SEND_TIME_EXPLORATION_SHARE", default=0.05)
# SMS price per segment (CLP), from the provider's quote.
SMS_COST_PER_SEGMENT_CLP = env.int("SMS_COST_PER_SEGMENT_CLP", default=12)
# Email has no per-message price from a provider quote; the plan's figure per 1,000 sent.
EMAIL_COST_PER_1000_CLP = env.int("EMAIL_COST_PER_1000_CLP", default=0)

# --- Statistics: attribution and the holdout (ARCHITECTURE §10-11) ------------
# A booking within this many days after a touch (email click/human open; SMS delivery)
# is attributed to the message (last touch, "no causal").
ATTRIBUTION_EMAIL_DAYS = env.int("ATTRIBUTION_EMAIL_DAYS", default=5)
ATTRIBUTION_SMS_DAYS = env.int("ATTRIBUTION_SMS_DAYS", default=3)
# Share of clients (percent) in the global control group that receives no marketing.
HOLDOUT_PERCENT = env.float("HOLDOUT_PERCENT", default=5.0)
# Key of the control group's hash. Its own setting, never SECRET_KEY: rotating the
# secret must not reshuffle who is a control. Changing it starts a new experiment.
HOLDOUT_KEY = env.str("HOLDOUT_KEY", default="aremko-holdout-2026")
SMS_TRANSLITERATE_MARKETING = env.bool("SMS_TRANSLITERATE_MARKETING", default=True)
# Longest SMS (in segments) a template may produce; each segment is billed.
SMS_MAX_SEGMENTS = env.int("SMS_MAX_SEGMENTS", default=3)
# Provider status keeps changing for up to 24 h after sending (REDVOISS.md); replies
# may come later, so they are polled for longer. The beat entries (admin) set how often.
SMS_STATUS_POLL_HOURS = env.int("SMS_STATUS_POLL_HOURS", default=24)
SMS_REPLY_POLL_HOURS = env.int("SMS_REPLY_POLL_HOURS", default=168)
# Transactional SMS (reminders, confirmations) go out reply-capable too, so a BAJA answered
# to a reminder is read. False sends them through the plain endpoint (no replies).
SMS_TRANSACTIONAL_REPLY_CAPABLE = env.bool("SMS_TRANSACTIONAL_REPLY_CAPABLE", default=True)

# --- Dashboard alerts and the weekly report ----------------------------------
# Who gets each open alert (at most once per code per 24 h) and the Monday report.
ALERT_EMAILS = env.list("ALERT_EMAILS", default=[])
REPORT_EMAILS = env.list("REPORT_EMAILS", default=[])
# Spam pressure: alert when more than this share of marketing requests (7 days) is blocked by caps.
ALERT_CAP_PRESSURE_SHARE = env.float("ALERT_CAP_PRESSURE_SHARE", default=0.25)
# Rate alerts (complaints, opt-outs, delivery, bounces, cap pressure) need this many messages in 7 days.
ALERT_MIN_MESSAGES = env.int("ALERT_MIN_MESSAGES", default=200)
# Beat tasks (SweepRun names) that run every few minutes: silence longer than 15 minutes is an alert.
ALERT_WATCHED_SWEEPS = env.list("ALERT_WATCHED_SWEEPS", default=["sweep_outbox", "poll_sms_status", "poll_sms_replies"])
