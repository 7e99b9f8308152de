"""Listing a caller's bookings on each database: guest or host side, the status at this moment, keyset pages."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from persistence_store import NOW, Store

from airbnb_core.domain.bookings import BookingRole, BookingStatus
from airbnb_core.inmemory import FixedClock
from airbnb_core.services import Services
from tests.support.services import services_on


@pytest.fixture
def services(store: Store) -> Services:
    return services_on(store.uow, clock=FixedClock(NOW))


def test_a_guest_sees_the_bookings_they_made_and_a_host_those_on_their_properties(
    store: Store, services: Services
) -> None:
    hana, ivo = store.user(is_host=True), store.user(is_host=True)
    loft, barn = store.place(hana), store.place(ivo)
    ana, ben = store.user(), store.user()
    first = store.booking(ana, loft, 1, 3, created_at=NOW - timedelta(minutes=3))
    second = store.booking(ben, loft, 3, 5, created_at=NOW - timedelta(minutes=2))
    third = store.booking(ana, barn, 1, 3, created_at=NOW - timedelta(minutes=1))

    def ids(viewer_id: uuid.UUID, role: BookingRole) -> list[uuid.UUID]:
        viewer = next(u for u in (hana, ivo, ana, ben) if u.id == viewer_id)
        return [v.booking.id for v in services.bookings.list(viewer, role=role).items]

    assert ids(ana.id, BookingRole.GUEST) == [third.id, first.id]
    assert ids(hana.id, BookingRole.HOST) == [second.id, first.id]
    assert ids(ivo.id, BookingRole.HOST) == [third.id]
    assert ids(hana.id, BookingRole.GUEST) == [] and ids(ana.id, BookingRole.HOST) == []


def test_the_status_filter_counts_a_lapsed_hold_as_expired_before_the_sweep(store: Store, services: Services) -> None:
    place, ana = store.place(store.user(is_host=True)), store.user()
    lapsed = store.booking(ana, place, 1, 2, hold_expires_at=NOW - timedelta(seconds=1))
    at_the_moment = store.booking(ana, place, 2, 3, hold_expires_at=NOW)  # status_at: now >= hold is lapsed
    held = store.booking(ana, place, 3, 4)
    request_lapsed = store.booking(ana, place, 4, 5, status=BookingStatus.REQUESTED, hold_expires_at=NOW)
    waiting = store.booking(ana, place, 5, 6, status=BookingStatus.REQUESTED)
    stored = store.booking(ana, place, 6, 7, status=BookingStatus.EXPIRED)
    confirmed = store.booking(ana, place, 7, 8, status=BookingStatus.CONFIRMED, hold_expires_at=None)

    def ids(status: BookingStatus) -> set[uuid.UUID]:
        page = services.bookings.list(ana, status=status, limit=100)
        assert all(view.status is status for view in page.items)
        return {v.booking.id for v in page.items}

    assert ids(BookingStatus.EXPIRED) == {lapsed.id, at_the_moment.id, request_lapsed.id, stored.id}
    assert ids(BookingStatus.PENDING) == {held.id}
    assert ids(BookingStatus.REQUESTED) == {waiting.id}
    assert ids(BookingStatus.CONFIRMED) == {confirmed.id}
    assert ids(BookingStatus.CANCELLED) == set()


def test_pages_of_bookings_sharing_a_created_at_visit_each_once(store: Store, services: Services) -> None:
    place, ana = store.place(store.user(is_host=True)), store.user()
    made = {store.booking(ana, place, day, day + 1).id for day in range(1, 8)}  # all created at NOW
    seen: list[uuid.UUID] = []
    cursor = None
    while True:
        page = services.bookings.list(ana, limit=3, cursor=cursor)
        seen.extend(v.booking.id for v in page.items)
        if (cursor := page.next_cursor) is None:
            break
    assert len(seen) == 7 and set(seen) == made


def test_which_bookings_of_a_page_have_a_review_is_one_lookup(store: Store) -> None:
    place, ana = store.place(store.user(is_host=True)), store.user()
    reviewed = store.booking(ana, place, 1, 2, status=BookingStatus.CONFIRMED, hold_expires_at=None)
    other = store.booking(ana, place, 2, 3)
    store.review(reviewed)
    with store.uow() as uow:
        assert uow.reviews.reviewed([reviewed.id, other.id]) == {reviewed.id}
        assert uow.reviews.reviewed([]) == set()
        assert set(uow.properties.get_many([place.id, uuid.uuid4()])) == {place.id}


def test_many_bookings_are_one_lookup_by_id(store: Store) -> None:
    place, ana = store.place(store.user(is_host=True)), store.user()
    first, second = store.booking(ana, place, 1, 2), store.booking(ana, place, 2, 3)
    with store.uow() as uow:
        found = uow.bookings.get_many([first.id, second.id, uuid.uuid4(), first.id])
        assert {booking_id: booking.check_in_date for booking_id, booking in found.items()} == {
            first.id: first.check_in_date, second.id: second.check_in_date,
        }  # fmt: skip
        assert uow.bookings.get_many([]) == {}
