"""The real-service fixtures work: PostgreSQL and Redis answer (never skipped)."""

import psycopg
import pytest
import redis


@pytest.mark.postgres
def test_postgres_fixture_answers(postgres_url):
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        assert conn.execute("select 1").fetchone() == (1,)


@pytest.mark.redis
def test_redis_fixture_answers(redis_url):
    client = redis.Redis.from_url(redis_url)
    assert client.ping() is True
