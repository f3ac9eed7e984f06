"""Settings for the test suite: the project settings with test-friendly defaults.

Only defaults are set here, so DATABASE_URL / CELERY_BROKER_URL from the
environment (CI's PostgreSQL and Redis) still win.
"""

import atexit
import os
import tempfile

os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production")
os.environ.setdefault("SUPPRESSION_KEY", "test-only-suppression-key")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SITE_URL", "http://testserver")

from aremko.settings import *  # noqa: E402,F403

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SMS_BACKEND = "communications.channels.sms.backends.locmem.SmsBackend"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
# Unit tests never need a broker: tasks are called directly or run eagerly where a
# test says so; the Celery integration tests start a real worker on Redis.
CELERY_BROKER_URL = "memory://localhost/"
CELERY_TASK_ALWAYS_EAGER = False
# A test worker started inside pytest (celery.contrib.testing.start_worker) fires the same
# signals as a real one; it must not freeze the test process's heap. Set it back to test it.
WORKER_GC_FREEZE = False
# WhiteNoise serves collected files in production; tests never collect them.
MIDDLEWARE = [m for m in MIDDLEWARE if not m.startswith("whitenoise.")]  # noqa: F405

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # An in-memory test database is shared between threads through SQLite's shared cache,
    # whose table locks fail at once ("database table is locked") instead of waiting: the
    # worker and beat threads of the end-to-end tests then lose tasks on a loaded machine.
    # A file honours WAL and the busy timeout like the demo's database does. One per process,
    # so parallel runs on one machine never share it.
    _TEST_DB = os.path.join(tempfile.gettempdir(), f"aremko-test-{os.getpid()}.sqlite3")
    DATABASES["default"]["TEST"] = {"NAME": _TEST_DB}  # noqa: F405
    # Django removes the database file; WAL leaves its two side files behind.
    atexit.register(lambda: [os.remove(p) for p in (f"{_TEST_DB}-wal", f"{_TEST_DB}-shm") if os.path.exists(p)])

# Rate limits count across tests in one process; the tests of the limits set their own.
RATE_LIMIT_INVALID_PER_IP = 0
RATE_LIMIT_PER_TOKEN = 0
# The control group would silently block marketing in unrelated tests; tests that need it set it.
HOLDOUT_PERCENT = 0
HOLDOUT_KEY = "test-holdout-key"

# Exploration sends a share of marketing (chosen by a hash of the idempotency key) at a
# random hour: in tests that would move an arbitrary message depending on test order.
# The send-time tests set it themselves.
SEND_TIME_EXPLORATION_SHARE = 0.0
