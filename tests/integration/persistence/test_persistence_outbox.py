"""The outbox on both dialects: a unit of work's events are written in its transaction and rolled back with it."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from persistence_store import NOW, Store
from sqlalchemy.orm import Session

from adapters.persistence import SqlAlchemyUnitOfWork, make_session_factory
from adapters.persistence.models import OutboxRow
from airbnb_core.domain.events import ProfileChanged
from airbnb_core.inmemory import FixedClock
from tests.builders import a_user


def outbox(engine: sa.Engine) -> list[sa.Row[Any]]:
    with engine.connect() as connection:
        return list(connection.execute(sa.select(OutboxRow.__table__)))


def users(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(sa.text("SELECT count(*) FROM users")).scalar_one()


@pytest.fixture
def uow(engine: sa.Engine) -> SqlAlchemyUnitOfWork:
    opened = SqlAlchemyUnitOfWork(make_session_factory(engine))
    opened.clock = FixedClock(NOW)
    return opened


def test_a_commit_writes_each_event_as_an_outbox_row(
    engine: sa.Engine, store: Store, uow: SqlAlchemyUnitOfWork
) -> None:
    user = store.user()
    told: list[object] = []
    uow.handlers = [told.extend]

    with uow:
        uow.record(ProfileChanged(user.id))
        uow.commit()

    [row] = outbox(engine)
    assert isinstance(row.id, uuid.UUID)
    assert (row.topic, row.payload, row.created_at, row.processed_at) == (
        "ProfileChanged",
        {"user_id": str(user.id)},
        NOW,
        None,
    )
    assert told == [ProfileChanged(user.id)]


def test_a_rolled_back_unit_of_work_writes_no_outbox_row(
    engine: sa.Engine, store: Store, uow: SqlAlchemyUnitOfWork
) -> None:
    user = store.user()

    with pytest.raises(RuntimeError), uow:
        uow.users.add(a_user())
        uow.record(ProfileChanged(user.id))
        raise RuntimeError("the use case fails before committing")

    assert outbox(engine) == []
    assert users(engine) == 1


def test_the_outbox_row_is_written_in_the_transaction_of_the_change_and_undone_with_it(
    engine: sa.Engine, store: Store
) -> None:
    """The commit fails after the outbox row reached the database: the row goes with the change it describes."""
    sessions = make_session_factory(engine)
    seen_before_the_commit_failed: list[int] = []

    @sa.event.listens_for(sessions, "before_commit")
    def fail_the_commit(session: Session) -> None:
        seen_before_the_commit_failed.append(session.scalars(sa.select(sa.func.count()).select_from(OutboxRow)).one())
        raise RuntimeError("the database refuses the commit")

    uow = SqlAlchemyUnitOfWork(sessions)
    user = a_user()
    with pytest.raises(RuntimeError), uow:
        uow.users.add(user)
        uow.record(ProfileChanged(user.id))
        uow.commit()

    assert seen_before_the_commit_failed == [1]  # written in this transaction, with the new user…
    assert outbox(engine) == []  # …and rolled back with it
    assert users(engine) == 0
