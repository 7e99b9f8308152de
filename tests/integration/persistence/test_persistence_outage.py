"""A database that cannot be reached, or drops the connection, is ServiceUnavailable; other errors are not."""

from __future__ import annotations

import time
import uuid

import psycopg
import pytest
import sqlalchemy as sa

from adapters.persistence import SqlAlchemyUnitOfWork, create_engine, make_session_factory, upgrade
from airbnb_core.domain.errors import ServiceUnavailable
from tests.support.outages import dead_postgres_url


def test_a_database_nobody_answers_for_is_service_unavailable_at_once() -> None:
    engine = create_engine(dead_postgres_url())
    uow = SqlAlchemyUnitOfWork(make_session_factory(engine))
    started = time.monotonic()

    with pytest.raises(ServiceUnavailable) as raised, uow:
        uow.users.get(uuid.uuid4())

    assert time.monotonic() - started < 3
    assert raised.value.retry_after_seconds is not None and raised.value.retry_after_seconds > 0
    assert isinstance(raised.value.__cause__, sa.exc.OperationalError)
    engine.dispose()


def test_a_connection_lost_mid_transaction_is_service_unavailable_and_the_next_one_works(postgres_url: str) -> None:
    upgrade(postgres_url)
    engine = create_engine(postgres_url)
    session_factory = make_session_factory(engine)
    admin_url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)

    uow = SqlAlchemyUnitOfWork(session_factory)
    with pytest.raises(ServiceUnavailable), uow:
        uow.users.get(uuid.uuid4())  # the transaction holds a connection now
        with psycopg.connect(admin_url, autocommit=True) as admin:  # as a server restart would
            admin.execute(
                "select pg_terminate_backend(pid) from pg_stat_activity"
                " where datname = current_database() and pid <> pg_backend_pid()"
            )
        uow.users.get(uuid.uuid4())

    with SqlAlchemyUnitOfWork(session_factory) as uow:
        assert uow.users.get(uuid.uuid4()) is None
    engine.dispose()


def test_a_wrong_statement_is_no_outage(postgres_url: str) -> None:
    engine = create_engine(postgres_url)  # never migrated: there is no users table
    uow = SqlAlchemyUnitOfWork(make_session_factory(engine))

    with pytest.raises(sa.exc.ProgrammingError), uow:
        uow.users.get(uuid.uuid4())
    engine.dispose()
