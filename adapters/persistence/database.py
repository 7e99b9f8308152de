"""Engines and sessions. Nothing here runs at import time: the composition root calls these."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from adapters.persistence.unit_of_work import TranslatingSession

# Each server worker runs its database work on this many threads (bootstrap sizes the thread pool
# to match), so a fixed pool of this size never opens and closes connections under load.
POOL_SIZE = 20
CONNECT_TIMEOUT_SECONDS = 3


def create_engine(url: str, *, pool_size: int = POOL_SIZE, echo: bool = False) -> sa.Engine:
    """An engine for PostgreSQL (psycopg 3) or SQLite, configured for this application."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # No overflow: connections past the pool would be closed on return and reopened under load,
        # a new server process each time. No pre-ping (a round trip per checkout); connections are
        # recycled instead, and a dead one fails its request, not the pool.
        # A database that does not answer must fail its request in seconds (503), not hold it for
        # the operating system's TCP timeout of minutes; a connect_timeout in the URL still wins.
        connect_args = {} if "connect_timeout" in parsed.query else {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
        return sa.create_engine(
            parsed, pool_size=pool_size, max_overflow=0, pool_recycle=1800, connect_args=connect_args, echo=echo
        )
    engine = sa.create_engine(parsed, connect_args={"check_same_thread": False}, echo=echo)
    sa.event.listen(engine, "connect", _configure_sqlite_connection)
    sa.event.listen(engine, "begin", _begin_immediate)
    return engine


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event open transactions instead of the sqlite3 module's implicit BEGIN.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers no longer wait for the writer
    cursor.execute("PRAGMA busy_timeout=5000")  # wait for the write lock rather than fail at once
    cursor.close()


def _begin_immediate(connection: sa.Connection) -> None:
    # Take the write lock up front: SQLite then serializes writing transactions, so the booking
    # overlap check and the insert that follows it cannot interleave with another writer's.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def ping(engine: sa.Engine) -> None:
    """Raise if the database cannot answer a trivial query."""
    with engine.connect() as connection:
        connection.execute(sa.text("SELECT 1"))


def make_session_factory(engine: sa.Engine) -> sessionmaker[Session]:
    # Sessions outlive nothing but one unit of work, and repositories return dataclasses, so
    # expiring rows on commit would only cost extra SELECTs.
    return sessionmaker(engine, class_=TranslatingSession, expire_on_commit=False)
