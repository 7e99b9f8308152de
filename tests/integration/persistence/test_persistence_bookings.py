"""The booking use cases on each database: no double booking under concurrency, and lapsed holds never block."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from persistence_store import NOW, Store

from airbnb_core.domain.bookings import BookingStatus
from airbnb_core.domain.errors import DatesUnavailable
from airbnb_core.domain.stay import Stay
from airbnb_core.inmemory import FixedClock
from airbnb_core.services import Services
from airbnb_core.services.bookings import RequestBooking
from tests.support.concurrency import race
from tests.support.services import services_on

JULY = date(2030, 7, 1)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def services(store: Store, clock: FixedClock) -> Services:
    return services_on(store.uow, clock=clock)


def test_thirty_guests_racing_for_the_same_nights_give_exactly_one_booking(store: Store, services: Services) -> None:
    place = store.place(store.user(is_host=True))
    guests = [store.user() for _ in range(30)]
    stay = Stay(JULY, JULY + timedelta(days=3))
    results = race([lambda g=g: services.bookings.request(g, RequestBooking(place.id, stay, 1)) for g in guests])
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(isinstance(r, DatesUnavailable) for r in results if isinstance(r, Exception)), results


def test_overlapping_stays_from_many_guests_never_overlap_once_stored(store: Store, services: Services) -> None:
    place = store.place(store.user(is_host=True), max_nights=30)
    rng = random.Random(7)
    attempts = []
    for guest in [store.user() for _ in range(24)]:
        start = JULY + timedelta(days=rng.randrange(20))
        stay = Stay(start, start + timedelta(days=rng.randrange(1, 6)))
        attempts.append(lambda g=guest, s=stay: services.bookings.request(g, RequestBooking(place.id, s, 1)))
    results = race(attempts)
    assert any(not isinstance(r, Exception) for r in results)
    assert all(isinstance(r, DatesUnavailable) for r in results if isinstance(r, Exception)), results
    with store.engine.connect() as connection:
        overlapping = connection.execute(
            sa.text(
                "SELECT count(*) FROM bookings a JOIN bookings b ON a.property_id = b.property_id AND a.id < b.id "
                "WHERE a.status IN ('pending', 'requested', 'confirmed') "
                "AND b.status IN ('pending', 'requested', 'confirmed') "
                "AND a.check_in_date < b.check_out_date AND b.check_in_date < a.check_out_date"
            )
        ).scalar_one()
    assert overlapping == 0


def test_back_to_back_stays_both_hold(store: Store, services: Services) -> None:
    place = store.place(store.user(is_host=True))
    first = RequestBooking(place.id, Stay(JULY, JULY + timedelta(days=2)), 1)
    second = RequestBooking(place.id, Stay(JULY + timedelta(days=2), JULY + timedelta(days=4)), 1)
    assert services.bookings.request(store.user(), first).status is BookingStatus.PENDING
    assert services.bookings.request(store.user(), second).status is BookingStatus.PENDING


def test_a_lapsed_hold_is_expired_in_the_transaction_that_books_its_nights(
    store: Store, services: Services, clock: FixedClock
) -> None:
    # On PostgreSQL the exclusion constraint counts every pending row, lapsed or not.
    place = store.place(store.user(is_host=True))
    stay = RequestBooking(place.id, Stay(JULY, JULY + timedelta(days=3)), 1)
    lapsed = services.bookings.request(store.user(), stay).booking
    clock.advance(timedelta(minutes=15))
    taken = services.bookings.request(store.user(), stay).booking
    with store.uow() as uow:
        statuses = {b.id: b.status for b in (uow.bookings.get(lapsed.id), uow.bookings.get(taken.id)) if b}
    assert statuses == {lapsed.id: BookingStatus.EXPIRED, taken.id: BookingStatus.PENDING}
