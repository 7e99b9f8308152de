"""The batched reads behind GraphQL's nested ``payment`` and ``review`` of bookings: many bookings at once,
each answered only to those who may see the booking, on the in-memory platform."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from airbnb_core.domain.stay import Stay
from airbnb_core.domain.users import User
from airbnb_core.inmemory import FixedClock, InMemoryPlatform, ScryptPasswordHasher, in_memory_platform
from airbnb_core.services.accounts import RegisterUser
from airbnb_core.services.bookings import RequestBooking
from airbnb_core.services.listings import PropertyDraft

NOW = datetime(2030, 3, 1, 12, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def platform(clock: FixedClock) -> InMemoryPlatform:
    return in_memory_platform(clock=clock, hasher=ScryptPasswordHasher(n=2**8))


def person(platform: InMemoryPlatform, name: str, *, host: bool = False) -> User:
    return platform.services.accounts.register(RegisterUser(name, f"{name}@example.com", "a-long-password", host))


def listing(platform: InMemoryPlatform, host: User) -> uuid.UUID:
    draft = PropertyDraft(
        title="Loft", location="1 Quay", city="Lyon", country="FR", latitude=45.76, longitude=4.84,
        price_per_night=10_000, currency="EUR", max_guests=3, instant_book=True,
    )  # fmt: skip
    return platform.services.listings.create(host, draft).id


def paid_stay(platform: InMemoryPlatform, guest: User, place_id: uuid.UUID, check_in: date) -> uuid.UUID:
    services = platform.services
    booking = services.bookings.request(guest, RequestBooking(place_id, Stay(check_in, check_in + timedelta(3)), 1))
    services.payments.pay(guest, booking.booking.id, "pm_card_visa")
    return booking.booking.id


@pytest.fixture
def stays(platform: InMemoryPlatform, clock: FixedClock) -> tuple[User, User, User, list[uuid.UUID]]:
    """A host, two guests, and three paid stays (two of the first guest's) that have ended, the first reviewed."""
    host, ana, bob = person(platform, "hana", host=True), person(platform, "ana"), person(platform, "bob")
    place_id = listing(platform, host)
    ids = [
        paid_stay(platform, ana, place_id, date(2030, 4, 1)),
        paid_stay(platform, ana, place_id, date(2030, 4, 10)),
        paid_stay(platform, bob, place_id, date(2030, 4, 20)),
    ]
    clock.set(datetime(2030, 5, 1, 12, tzinfo=UTC))
    platform.services.reviews.write(ana, ids[0], rating=4, comment="Quiet")
    return host, ana, bob, ids


def test_payments_of_many_bookings_answer_each_visible_booking_that_has_one(
    platform: InMemoryPlatform, stays: tuple[User, User, User, list[uuid.UUID]]
) -> None:
    host, ana, _, ids = stays
    unknown = uuid.uuid4()

    by_host = platform.services.payments.payments_of(host, [*ids, unknown])
    by_ana = platform.services.payments.payments_of(ana, [*ids, unknown])

    assert set(by_host) == set(ids)
    assert set(by_ana) == set(ids[:2])
    assert all(by_ana[booking_id].booking_id == booking_id for booking_id in by_ana)
    assert by_ana[ids[0]] == platform.services.payments.payment(ana, ids[0])


def test_reviews_of_many_bookings_answer_each_visible_booking_that_has_one(
    platform: InMemoryPlatform, stays: tuple[User, User, User, list[uuid.UUID]]
) -> None:
    host, ana, _, ids = stays

    by_host = platform.services.reviews.of_bookings(host, ids)

    assert set(by_host) == {ids[0]}
    assert (by_host[ids[0]].rating, by_host[ids[0]].comment) == (4, "Quiet")
    assert set(platform.services.reviews.of_bookings(ana, ids)) == {ids[0]}


def test_a_stranger_learns_nothing_of_bookings_they_may_not_see(
    platform: InMemoryPlatform, stays: tuple[User, User, User, list[uuid.UUID]]
) -> None:
    *_, bob, ids = stays

    assert platform.services.payments.payments_of(bob, ids[:2]) == {}
    assert platform.services.reviews.of_bookings(bob, ids[:2]) == {}
    assert set(platform.services.payments.payments_of(bob, ids)) == {ids[2]}


def test_an_administrator_sees_every_booking_s_payment_and_review(
    platform: InMemoryPlatform, stays: tuple[User, User, User, list[uuid.UUID]]
) -> None:
    admin = dataclasses.replace(person(platform, "ada"), is_admin=True)
    *_, ids = stays

    assert set(platform.services.payments.payments_of(admin, ids)) == set(ids)
    assert set(platform.services.reviews.of_bookings(admin, ids)) == {ids[0]}


def test_no_bookings_ask_nothing(platform: InMemoryPlatform, stays: tuple[User, User, User, list[uuid.UUID]]) -> None:
    host, *_ = stays

    assert platform.services.payments.payments_of(host, []) == {}
    assert platform.services.reviews.of_bookings(host, []) == {}
