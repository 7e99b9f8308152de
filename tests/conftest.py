"""Fixtures for real services: each test run gets its own PostgreSQL database and Redis db.

The servers are required, never optional: a missing PostgreSQL or Redis fails the tests that
need it instead of skipping them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

from tests.support.localstripe import running_localstripe

POSTGRES_ADMIN_URL = os.environ.get("AIRBNB_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("AIRBNB_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _sqlalchemy_url(libpq_url: str) -> str:
    return libpq_url.replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture(scope="session")
def make_postgres_database() -> Iterator[Callable[[], str]]:
    """Create empty PostgreSQL databases on demand; all are dropped when the session ends."""
    created: list[str] = []
    try:
        admin = psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL is required at {POSTGRES_ADMIN_URL}: {exc}")

    def make() -> str:
        name = f"airbnb_test_{uuid.uuid4().hex[:12]}"
        admin.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
        return _sqlalchemy_url(f"{base}/{name}")

    yield make
    for name in created:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture
def postgres_url(make_postgres_database: Callable[[], str]) -> str:
    """A fresh, empty PostgreSQL database for one test."""
    return make_postgres_database()


@pytest.fixture
def sqlite_url(tmp_path: os.PathLike[str]) -> str:
    """A fresh SQLite database file for one test."""
    return f"sqlite:///{os.fspath(tmp_path)}/airbnb.db"


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A Redis database emptied before and after the test."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=5)
    try:
        client.flushdb()
    except redis.ConnectionError as exc:
        pytest.fail(f"Redis is required at {REDIS_URL}: {exc}")
    yield REDIS_URL
    client.flushdb()
    client.close()


@pytest.fixture(scope="session")
def live_server(make_postgres_database: Callable[[], str]) -> Iterator[Any]:
    """One real server for the session: bootstrap's production wiring on PostgreSQL and Redis.

    Request limits are raised so that the suite's own traffic is not throttled; the limits have
    tests of their own.
    """
    from tests.support.stack import live_server as serve
    from tests.support.stack import production_like_settings

    settings = production_like_settings(
        make_postgres_database(), REDIS_URL, login_rate_limit=100_000, api_rate_limit=100_000
    )
    with serve(settings) as server:
        yield server


@pytest.fixture(scope="session")
def localstripe_url() -> Iterator[str]:
    """One localstripe (a Stripe-compatible server) for the session: every test makes intents of its own."""
    with running_localstripe() as url:
        yield url
