"""Every test here runs on PostgreSQL and on SQLite, against a database migrated to head."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from persistence_store import Store

from adapters.persistence import create_engine, upgrade


@pytest.fixture(params=["postgresql", "sqlite"])
def database_url(request: pytest.FixtureRequest) -> str:
    """An empty database of each dialect."""
    return str(request.getfixturevalue("postgres_url" if request.param == "postgresql" else "sqlite_url"))


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    upgrade(database_url)
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def store(engine: sa.Engine) -> Store:
    return Store(engine)
