"""Idempotency records on both dialects: one reservation per user and key, kept a day, racing reservations included."""

from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa
from persistence_store import NOW, Store

from adapters.persistence import SqlAlchemyIdempotencyStore
from adapters.persistence.models import IdempotencyRecordRow
from airbnb_core.inmemory import FixedClock
from airbnb_core.ports.idempotency import IdempotencyRecord, StoredResponse
from tests.support.concurrency import race

CREATED = StoredResponse(201, b'{"id": 1}', "application/json")


def records(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(IdempotencyRecordRow)).scalar_one()


def test_a_reservation_is_found_then_answered(engine: sa.Engine, store: Store) -> None:
    user = store.user()
    keys = SqlAlchemyIdempotencyStore(engine, FixedClock(NOW))
    reservation = keys.reserve(user.id, "k", "f" * 64)
    assert reservation is not None
    assert keys.reserve(user.id, "k", "f" * 64) is None
    assert keys.find(user.id, "k") == IdempotencyRecord(fingerprint="f" * 64, response=None)
    keys.complete(reservation, CREATED)
    assert keys.find(user.id, "k") == IdempotencyRecord(fingerprint="f" * 64, response=CREATED)
    keys.release(reservation)  # an answered key stays answered
    assert keys.find(user.id, "k") is not None


def test_keys_are_per_user(engine: sa.Engine, store: Store) -> None:
    keys = SqlAlchemyIdempotencyStore(engine, FixedClock(NOW))
    first, second = store.user(), store.user()
    assert keys.reserve(first.id, "k", "a") is not None
    assert keys.reserve(second.id, "k", "b") is not None
    assert keys.find(uuid.uuid4(), "k") is None


def test_a_released_key_can_be_taken_again(engine: sa.Engine, store: Store) -> None:
    user = store.user()
    keys = SqlAlchemyIdempotencyStore(engine, FixedClock(NOW))
    reservation = keys.reserve(user.id, "k", "a")
    assert reservation is not None
    keys.release(reservation)
    assert keys.find(user.id, "k") is None
    assert keys.reserve(user.id, "k", "b") is not None


def test_a_record_older_than_a_day_is_absent_and_cleared_on_the_next_reservation(
    engine: sa.Engine, store: Store
) -> None:
    user = store.user()
    clock = FixedClock(NOW)
    keys = SqlAlchemyIdempotencyStore(engine, clock)
    old = keys.reserve(user.id, "k", "a")
    assert old is not None
    keys.complete(old, CREATED)
    assert keys.reserve(user.id, "other", "a") is not None
    clock.advance(timedelta(hours=24, seconds=1))
    assert keys.find(user.id, "k") is None
    assert keys.reserve(user.id, "k", "b") is not None
    assert keys.find(user.id, "k") == IdempotencyRecord(fingerprint="b", response=None)
    assert records(engine) == 1  # the user's other expired key went as well


def test_racing_reservations_of_one_key_leave_one_winner(engine: sa.Engine, store: Store) -> None:
    user = store.user()
    keys = SqlAlchemyIdempotencyStore(engine, FixedClock(NOW))
    outcomes = race([lambda: keys.reserve(user.id, "k", "a") for _ in range(10)])
    assert sum(isinstance(outcome, uuid.UUID) for outcome in outcomes) == 1
    assert outcomes.count(None) == 9
