"""redvoiss_check: credentials and connectivity, nothing sent, non-zero exit on failure."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


def test_it_reports_a_working_connection_and_sends_nothing(redvoiss_settings, fake_redvoiss):
    out = io.StringIO()
    call_command("redvoiss_check", stdout=out)
    assert "correcta" in out.getvalue()
    assert fake_redvoiss.batches == {}
    assert [r["path"] for r in fake_redvoiss.requests] == ["/greet"]


def test_it_fails_in_spanish_on_bad_credentials(redvoiss_settings, fake_redvoiss):
    fake_redvoiss.set(bad_credentials=True)
    with pytest.raises(CommandError, match="REDVOISS_USERNAME"):
        call_command("redvoiss_check")


def test_it_fails_when_credentials_are_missing(redvoiss_settings):
    redvoiss_settings.REDVOISS_PASSWORD = ""
    with pytest.raises(CommandError, match="Faltan credenciales"):
        call_command("redvoiss_check")


def test_it_fails_when_the_provider_is_unreachable(redvoiss_settings):
    redvoiss_settings.REDVOISS_API_URL = "http://127.0.0.1:9"
    with pytest.raises(CommandError, match="No se pudo conectar"):
        call_command("redvoiss_check")


def test_the_exit_code_is_non_zero(redvoiss_settings, fake_redvoiss):
    import subprocess
    import sys

    fake_redvoiss.set(bad_credentials=True)
    env = {
        "DJANGO_SETTINGS_MODULE": "aremko.settings_test",
        "REDVOISS_API_URL": fake_redvoiss.url,
        "REDVOISS_USERNAME": "x",
        "REDVOISS_PASSWORD": "y",
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run([sys.executable, "manage.py", "redvoiss_check"], env=env, capture_output=True, timeout=60)
    assert done.returncode == 1
    assert "Redvoiss rechazó" in done.stderr.decode()
