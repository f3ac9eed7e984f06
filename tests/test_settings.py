"""The project refuses unsafe production configuration and passes the deploy checks."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args, **env_overrides):
    # A clean environment: only what a fresh production shell would have.
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_production_refuses_to_start_without_secret_key():
    result = run_manage("check", DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_a_suppression_key():
    result = run_manage("check", DEBUG="false", SECRET_KEY=secrets.token_urlsafe(64))
    assert result.returncode != 0
    assert "SUPPRESSION_KEY must be set" in result.stderr


def test_production_settings_pass_check_deploy():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(64),
        SUPPRESSION_KEY=secrets.token_urlsafe(32),
        ALLOWED_HOSTS="crm.aremko.cl",
    )
    assert result.returncode == 0, result.stderr


def test_settings_are_local_to_santiago_in_spanish(settings):
    assert settings.TIME_ZONE == "America/Santiago"
    assert settings.USE_TZ is True
    assert settings.LANGUAGE_CODE == "es-cl"


def test_a_verbatim_copy_of_env_example_is_a_working_configuration(tmp_path):
    env_file = tmp_path / ".env"
    example = (ROOT / ".env.example").read_text()
    env_file.write_text(example.replace("DEBUG=false", "DEBUG=true", 1))
    result = run_manage(
        "shell",
        "--verbosity",
        "0",
        "-c",
        "from django.conf import settings as s; print(s.DATABASES['default']['ENGINE'], repr(s.EMAIL_BACKEND), "
        "s.SMS_DAILY_LIMIT, s.CELERY_BROKER_URL)",
        ENV_FILE=str(env_file),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "'django.core.mail.backends.filebased.EmailBackend'",
        "2",
        "filesystem://localhost/",
    ]
