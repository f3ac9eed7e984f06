"""Settings for the test suite: the project settings with test-friendly defaults.

Only defaults are set here, so DATABASE_URL / CELERY_BROKER_URL from the
environment (CI's PostgreSQL and Redis) still win.
"""

import os

os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production")
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
# WhiteNoise serves collected files in production; tests never collect them.
MIDDLEWARE = [m for m in MIDDLEWARE if not m.startswith("whitenoise.")]  # noqa: F405
# The control group would silently block marketing in unrelated tests; tests that need it set it.
HOLDOUT_PERCENT = 0
HOLDOUT_KEY = "test-holdout-key"
