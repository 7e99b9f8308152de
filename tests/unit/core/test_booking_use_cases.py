"""Booking use cases on the in-memory platform: holding dates, lapsing holds, seeing and cancelling a booking."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from adapters.cache import InMemoryResponseCache
from airbnb_core.domain.bookings import Action, BookingRole, BookingStatus, CancelledBy
from airbnb_core.domain.errors import Conflict, DatesUnavailable, Forbidden, InvalidInput, InvalidTransition, NotFound
from airbnb_core.domain.stay import Stay
from airbnb_core.domain.users import User
from airbnb_core.inmemory import FixedClock, InMemoryPlatform, ScryptPasswordHasher, in_memory_platform
from airbnb_core.ports.cache import property_scope
from airbnb_core.services.accounts import RegisterUser
from airbnb_core.services.bookings import RequestBooking
from airbnb_core.services.listings import PropertyDraft

NOW = datetime(2030, 3, 1, 12, tzinfo=UTC)
STAY = Stay(date(2030, 4, 1), date(2030, 4, 8))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def platform(clock: FixedClock) -> InMemoryPlatform:
    return in_memory_platform(clock=clock, hasher=ScryptPasswordHasher(n=2**8), cache=InMemoryResponseCache())


def person(platform: InMemoryPlatform, name: str, *, host: bool = False) -> User:
    return platform.services.accounts.register(RegisterUser(name, f"{name}@example.com", "a-long-password", host))


@pytest.fixture
def host(platform: InMemoryPlatform) -> User:
    return person(platform, "hana", host=True)


@pytest.fixture
def place_id(platform: InMemoryPlatform, host: User) -> uuid.UUID:
    draft = PropertyDraft(
        title="Loft", location="1 Quay", city="Lyon", country="FR", latitude=45.76, longitude=4.84,
        price_per_night=10_000, currency="EUR", max_guests=3, cleaning_fee=2_000, weekly_discount_percent=10,
        cancellation_policy="moderate", timezone="Pacific/Kiritimati",
    )  # fmt: skip
    return platform.services.listings.create(host, draft).id


def test_a_quote_prices_the_stay_without_holding_it(platform: InMemoryPlatform, place_id: uuid.UUID) -> None:
    quote = platform.services.bookings.quote(place_id, STAY, 2)
    # 7 nights × 100.00 less 10% = 630.00; fee 10% of (630.00 + 20.00) = 65.00.
    assert (quote.quote.nights, quote.quote.nightly_subtotal.amount, quote.quote.service_fee.amount) == (
        7,
        63_000,
        6_500,
    )
    assert quote.quote.total.amount == 63_000 + 2_000 + 6_500 and quote.available
    with pytest.raises(InvalidInput):
        platform.services.bookings.quote(place_id, STAY, 4)


def test_booking_holds_the_dates_and_a_second_booking_of_them_conflicts(
    platform: InMemoryPlatform, place_id: uuid.UUID
) -> None:
    ana, ben = person(platform, "ana"), person(platform, "ben")
    booking = platform.services.bookings.request(ana, RequestBooking(place_id, STAY, 2)).booking
    assert booking.status is BookingStatus.PENDING and booking.total_price == 71_500
    with pytest.raises(DatesUnavailable) as conflict:
        platform.services.bookings.request(ben, RequestBooking(place_id, Stay(date(2030, 4, 7), date(2030, 4, 9)), 1))
    assert conflict.value.code == "booking_conflict"
    back_to_back = RequestBooking(place_id, Stay(date(2030, 4, 8), date(2030, 4, 10)), 1)
    assert platform.services.bookings.request(ben, back_to_back).status is BookingStatus.PENDING
    assert not platform.services.bookings.quote(place_id, STAY, 1).available


def test_a_lapsed_hold_never_blocks_and_is_expired_by_the_booking_that_takes_its_dates(
    platform: InMemoryPlatform, clock: FixedClock, place_id: uuid.UUID, host: User
) -> None:
    ana, ben = person(platform, "ana"), person(platform, "ben")
    first = platform.services.bookings.request(ana, RequestBooking(place_id, STAY, 2)).booking
    clock.advance(timedelta(minutes=15))
    assert platform.services.bookings.view(ana, first.id).booking.status_at(clock.now()) is BookingStatus.EXPIRED
    second = platform.services.bookings.request(ben, RequestBooking(place_id, STAY, 2)).booking
    assert second.status is BookingStatus.PENDING
    assert platform.services.bookings.view(host, first.id).booking.status is BookingStatus.EXPIRED
    assert [m.topic for m in platform.store.outbox if m.topic.startswith(("Booking", "Dates"))] == [
        "DatesHeld", "BookingExpired", "DatesHeld",
    ]  # fmt: skip


def test_the_sweep_stores_what_already_reads_as_expired(
    platform: InMemoryPlatform, clock: FixedClock, place_id: uuid.UUID
) -> None:
    ana = person(platform, "ana")
    booking = platform.services.bookings.request(ana, RequestBooking(place_id, STAY, 2)).booking
    assert platform.services.bookings.expire_lapsed() == 0
    clock.advance(timedelta(minutes=16))
    assert platform.services.bookings.expire_lapsed() == 1
    assert platform.services.bookings.view(ana, booking.id).booking.status is BookingStatus.EXPIRED
    assert platform.services.bookings.expire_lapsed() == 0


def test_today_is_the_propertys_date_which_may_already_be_tomorrow(
    platform: InMemoryPlatform, clock: FixedClock, place_id: uuid.UUID
) -> None:
    # 2030-03-01 12:00 UTC is already 2030-03-02 02:00 on Kiritimati (UTC+14).
    ana = person(platform, "ana")
    with pytest.raises(InvalidInput) as past:
        platform.services.bookings.request(ana, RequestBooking(place_id, Stay(date(2030, 3, 1), date(2030, 3, 3)), 1))
    assert past.value.errors[0].field == "check_in"
    tomorrow_in_utc = RequestBooking(place_id, Stay(date(2030, 3, 2), date(2030, 3, 4)), 1)
    assert platform.services.bookings.request(ana, tomorrow_in_utc).status is BookingStatus.PENDING


def test_only_the_guest_the_host_and_admins_see_a_booking_and_each_is_told_what_they_may_do(
    platform: InMemoryPlatform, place_id: uuid.UUID, host: User
) -> None:
    ana, eve = person(platform, "ana"), person(platform, "eve")
    booking = platform.services.bookings.request(ana, RequestBooking(place_id, STAY, 2)).booking
    assert platform.services.bookings.view(ana, booking.id).actions == (Action.PAY, Action.CANCEL)
    assert platform.services.bookings.view(host, booking.id).actions == (Action.CANCEL,)
    with pytest.raises(NotFound):
        platform.services.bookings.view(eve, booking.id)
    with pytest.raises(Forbidden):
        platform.services.bookings.request(host, RequestBooking(place_id, STAY, 1))


def test_cancelling_records_who_and_frees_the_dates_once(
    platform: InMemoryPlatform, place_id: uuid.UUID, host: User
) -> None:
    ana, ben = person(platform, "ana"), person(platform, "ben")
    booking = platform.services.bookings.request(ana, RequestBooking(place_id, STAY, 2)).booking
    preview = platform.services.bookings.cancellation_preview(ana, booking.id)
    assert (preview.refund.amount, preview.voids_authorization, preview.days_before_check_in) == (0, False, 30)
    cancelled = platform.services.bookings.cancel(ana, booking.id).booking
    assert (cancelled.status, cancelled.cancelled_by, cancelled.refund_amount) == (
        BookingStatus.CANCELLED, CancelledBy.GUEST, 0,
    )  # fmt: skip
    with pytest.raises(InvalidTransition):
        platform.services.bookings.cancel(host, booking.id)
    assert platform.services.bookings.request(ben, RequestBooking(place_id, STAY, 1)).status is BookingStatus.PENDING


def test_an_inactive_listing_cannot_be_booked(platform: InMemoryPlatform, place_id: uuid.UUID, host: User) -> None:
    platform.services.listings.deactivate(host, place_id)
    with pytest.raises(Conflict):
        platform.services.bookings.request(person(platform, "ana"), RequestBooking(place_id, STAY, 1))


def test_the_property_of_a_booking_is_found_in_a_batch_even_once_taken_down(
    platform: InMemoryPlatform, place_id: uuid.UUID, host: User
) -> None:
    platform.services.listings.deactivate(host, place_id)
    found = platform.services.listings.properties([place_id, uuid.uuid4()])
    assert list(found) == [place_id] and not found[place_id].is_active


def test_a_booking_forgets_the_calendar_it_made_stale(platform: InMemoryPlatform, place_id: uuid.UUID) -> None:
    cache = platform.cache
    assert isinstance(cache, InMemoryResponseCache)
    before = {scope: cache.versioned_key("k", [scope]) for scope in (property_scope(place_id),)}
    platform.services.bookings.request(person(platform, "ana"), RequestBooking(place_id, STAY, 1))
    assert all(cache.versioned_key("k", [scope]) != key for scope, key in before.items())


def _week(n: int) -> Stay:
    return Stay(STAY.check_in + timedelta(weeks=n), STAY.check_in + timedelta(weeks=n, days=2))


def test_a_guest_lists_the_bookings_they_made_and_a_host_those_on_their_properties_newest_first(
    platform: InMemoryPlatform, clock: FixedClock, place_id: uuid.UUID, host: User
) -> None:
    ana, ben = person(platform, "ana"), person(platform, "ben")
    made = []
    for n, guest in enumerate([ana, ben, ana]):
        made.append(platform.services.bookings.request(guest, RequestBooking(place_id, _week(n), 1)).booking.id)
        clock.advance(timedelta(minutes=1))
    as_ana = platform.services.bookings.list(ana)
    assert [v.booking.id for v in as_ana.items] == [made[2], made[0]] and as_ana.next_cursor is None
    assert all(v.actions == (Action.PAY, Action.CANCEL) for v in as_ana.items)
    as_host = platform.services.bookings.list(host, role=BookingRole.HOST)
    assert [v.booking.id for v in as_host.items] == made[::-1]
    assert all(v.actions == (Action.CANCEL,) for v in as_host.items)
    assert platform.services.bookings.list(host).items == []  # the host made no booking
    assert platform.services.bookings.list(ana, role=BookingRole.HOST).items == []


def test_the_status_filter_sees_a_lapsed_hold_as_expired_before_any_sweep(
    platform: InMemoryPlatform, clock: FixedClock, place_id: uuid.UUID
) -> None:
    ana = person(platform, "ana")
    lapsed = platform.services.bookings.request(ana, RequestBooking(place_id, _week(0), 1)).booking
    clock.advance(timedelta(minutes=10))
    held = platform.services.bookings.request(ana, RequestBooking(place_id, _week(1), 1)).booking
    cancelled = platform.services.bookings.request(ana, RequestBooking(place_id, _week(2), 1)).booking
    platform.services.bookings.cancel(ana, cancelled.id)
    clock.advance(timedelta(minutes=6))  # the first hold ran out; nothing stored it as expired

    def ids(status: BookingStatus) -> list[uuid.UUID]:
        return [v.booking.id for v in platform.services.bookings.list(ana, status=status).items]

    assert ids(BookingStatus.EXPIRED) == [lapsed.id]
    assert ids(BookingStatus.PENDING) == [held.id]
    assert ids(BookingStatus.CANCELLED) == [cancelled.id]
    assert ids(BookingStatus.CONFIRMED) == []
    assert platform.services.bookings.list(ana, status=BookingStatus.EXPIRED).items[0].status is BookingStatus.EXPIRED


def test_paging_through_bookings_visits_each_once(
    platform: InMemoryPlatform, clock: FixedClock, place_id: uuid.UUID
) -> None:
    ana = person(platform, "ana")
    made = set()
    for n in range(5):
        made.add(platform.services.bookings.request(ana, RequestBooking(place_id, _week(n), 1)).booking.id)
        if n % 2:
            clock.advance(timedelta(seconds=1))  # some share a created_at: the id breaks the tie
    seen: list[uuid.UUID] = []
    cursor = None
    while True:
        page = platform.services.bookings.list(ana, limit=2, cursor=cursor)
        seen.extend(v.booking.id for v in page.items)
        if (cursor := page.next_cursor) is None:
            break
    assert len(seen) == 5 and set(seen) == made
    with pytest.raises(InvalidInput):
        platform.services.bookings.list(ana, limit=0)
    with pytest.raises(InvalidInput):
        platform.services.bookings.list(ana, cursor="not-a-cursor")
