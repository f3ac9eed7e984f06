"""The production web process (gunicorn + WhiteNoise, DEBUG off) serves the admin login and /readyz."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from communications.tests.conftest import _free_port

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_gunicorn_serves_the_login_page_static_files_and_readiness(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "aremko.settings",
        "DEBUG": "false",
        "SECRET_KEY": "production-test-" + "x" * 40,
        "SUPPRESSION_KEY": "production-test-suppression",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        "STATIC_ROOT": str(tmp_path / "static"),
        "CELERY_BROKER_URL": "memory://localhost/",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
    }
    env.pop("CACHE_URL", None)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput"], env=env, cwd=ROOT, check=True, capture_output=True)
    subprocess.run([*manage, "collectstatic", "--noinput"], env=env, cwd=ROOT, check=True, capture_output=True)
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        [str(gunicorn), "aremko.wsgi", "-c", str(ROOT / "gunicorn.conf.py")],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                ready = requests.get(f"{base}/readyz", timeout=10)
                break
            except (requests.ConnectionError, requests.Timeout) as exc:
                if time.monotonic() > deadline or server.poll() is not None:
                    error = server.stderr.read1().decode()[-2000:]
                    raise AssertionError(f"gunicorn did not start: {error}") from exc
                time.sleep(0.2)
        assert ready.status_code == 200 and ready.json()["checks"]["base_de_datos"]["ok"] is True
        login = requests.get(f"{base}/admin/login/", timeout=20)
        assert login.status_code == 200
        assert "Aremko" in login.text and 'lang="es-cl"' in login.text
        assert login.headers["X-Frame-Options"] == "DENY"
        assert login.headers["X-Request-ID"]
        css = requests.get(f"{base}/static/admin/css/base.css", timeout=20)
        assert css.status_code == 200 and "max-age" in css.headers.get("Cache-Control", "")
    finally:
        server.terminate()
        server.wait(timeout=20)
