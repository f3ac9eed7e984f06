"""Settings for bench.send_bench's harness process only: the project plus django-post-office.

django-post-office is a benchmark-only dependency (requirements-bench.txt), the
baseline batched email is compared with; workers never load it.
"""

from aremko.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "post_office"]  # noqa: F405
POST_OFFICE = {"BACKENDS": {"default": "django.core.mail.backends.smtp.EmailBackend"}, "LOG_LEVEL": 0}
