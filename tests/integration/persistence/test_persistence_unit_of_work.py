from __future__ import annotations

import threading
import uuid
from dataclasses import replace
from datetime import timedelta

import pytest
import sqlalchemy as sa
from persistence_store import NOW, Store

from adapters.persistence import create_engine, upgrade
from airbnb_core.domain.bookings import BookingStatus, CancelledBy
from airbnb_core.domain.errors import Conflict, DatesUnavailable, EmailTaken
from airbnb_core.domain.users import RefreshToken
from tests.support.concurrency import race


def test_a_duplicate_email_raises_email_taken_at_commit(store: Store) -> None:
    user = store.user()
    with pytest.raises(EmailTaken):
        store.user(email=user.email)


def test_overlapping_active_bookings_raise_dates_unavailable(store: Store) -> None:
    guest, place = store.user(), store.place(store.user())
    store.booking(guest, place, 1, 10, status=BookingStatus.CONFIRMED)
    for check_in, check_out, status in [
        (5, 12, BookingStatus.PENDING),
        (1, 10, BookingStatus.REQUESTED),
        (2, 3, BookingStatus.CONFIRMED),
    ]:
        with pytest.raises(DatesUnavailable):
            store.booking(store.user(), place, check_in, check_out, status=status)


def test_back_to_back_stays_and_other_properties_do_not_overlap(store: Store) -> None:
    guest, place = store.user(), store.place(store.user())
    store.booking(guest, place, 1, 10)
    store.booking(guest, place, 10, 12)
    store.booking(guest, store.place(store.user()), 1, 10)


def test_overlapping_bookings_staged_in_one_unit_of_work_raise_dates_unavailable(store: Store) -> None:
    guest, place = store.user(), store.place(store.user())
    first = store.booking(guest, place, 1, 3, status=BookingStatus.CANCELLED)
    with pytest.raises(DatesUnavailable), store.uow() as uow:
        uow.bookings.add(replace(first, id=uuid.uuid4(), status=BookingStatus.PENDING))
        uow.bookings.add(replace(first, id=uuid.uuid4(), status=BookingStatus.CONFIRMED))
        uow.commit()


def test_a_constraint_broken_by_an_autoflush_is_reported_as_a_domain_error(store: Store) -> None:
    user = store.user()
    with pytest.raises(EmailTaken), store.uow() as uow:
        uow.users.add(replace(user, id=uuid.uuid4()))
        uow.users.get_by_email(user.email)  # the query flushes the pending duplicate first


def test_a_cancelled_booking_does_not_block_its_dates(store: Store) -> None:
    guest, place = store.user(), store.place(store.user())
    store.booking(guest, place, 1, 10, status=BookingStatus.CANCELLED)
    store.booking(guest, place, 1, 10, status=BookingStatus.EXPIRED)
    store.booking(guest, place, 3, 5)


def test_cancelling_a_booking_frees_its_dates(store: Store) -> None:
    guest, place = store.user(), store.place(store.user())
    booking = store.booking(guest, place, 1, 10, status=BookingStatus.CONFIRMED)
    refund = booking.cancel(CancelledBy.GUEST, policy_refund_percent=50, now=NOW)
    with store.uow() as uow:
        uow.bookings.update(booking)
        uow.commit()
    with store.uow() as uow:
        stored = uow.bookings.get(booking.id)
    assert stored is not None
    assert (stored.status, stored.cancelled_by, stored.cancelled_at, stored.refund_amount) == (
        BookingStatus.CANCELLED, CancelledBy.GUEST, NOW, refund.amount,
    )  # fmt: skip
    store.booking(guest, place, 1, 10)


def test_a_second_review_or_payment_for_a_booking_is_a_conflict(store: Store) -> None:
    booking = store.booking(store.user(), store.place(store.user()), 1, 3, status=BookingStatus.CONFIRMED)
    store.review(booking)
    store.payment(booking)
    with pytest.raises(Conflict) as review_error:
        store.review(booking)
    with pytest.raises(Conflict) as payment_error:
        store.payment(booking)
    assert (review_error.value.code, payment_error.value.code) == ("already_reviewed", "already_paid")


def test_check_constraints_reject_a_rating_of_six(store: Store) -> None:
    booking = store.booking(store.user(), store.place(store.user()), 1, 3, status=BookingStatus.CONFIRMED)
    with pytest.raises(Conflict):
        store.review(booking, rating=6)


def test_check_constraints_reject_a_negative_price(store: Store, engine: sa.Engine) -> None:
    place = store.place(store.user())
    with pytest.raises(Conflict):
        store.place(store.user(), price_per_night=-1)
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
        connection.execute(sa.text("UPDATE properties SET price_per_night = -1"))
    with store.uow() as uow:
        assert uow.properties.get(place.id) == place


def test_check_constraints_reject_an_email_that_is_not_lower_case(store: Store) -> None:
    with pytest.raises(Conflict):
        store.user(email="Mixed.Case@example.com")


def test_an_uncommitted_unit_of_work_persists_nothing(store: Store) -> None:
    host = store.user()
    with store.uow() as uow:
        uow.users.add(replace(host, id=uuid.uuid4(), email="ghost@example.com"))
        assert uow.users.get_by_email("ghost@example.com") is not None
    with store.uow() as uow:
        assert uow.users.get_by_email("ghost@example.com") is None


def test_an_error_inside_a_unit_of_work_discards_its_changes(store: Store) -> None:
    host = store.user()
    with pytest.raises(RuntimeError), store.uow() as uow:
        host.rename("Changed")
        uow.users.update(host)
        raise RuntimeError("the use case failed")
    with store.uow() as uow:
        loaded = uow.users.get(host.id)
    assert loaded is not None and loaded.name == "Ada Lovelace"


def test_two_concurrent_refreshes_cannot_both_mark_a_token_used(postgres_url: str) -> None:
    upgrade(postgres_url)
    engine = create_engine(postgres_url)
    store = Store(engine)
    token = RefreshToken(uuid.uuid4(), store.user().id, uuid.uuid4(), "9" * 64, NOW, NOW + timedelta(days=1))
    with store.uow() as uow:
        uow.refresh_tokens.add(token)
        uow.commit()
    both_read = threading.Barrier(2, timeout=10)

    def refresh() -> bool:
        with store.uow() as uow:
            stored = uow.refresh_tokens.get_by_hash(token.token_hash)
            assert stored is not None and stored.is_usable(NOW)
            both_read.wait()  # both transactions have seen the token unused
            won = uow.refresh_tokens.mark_used(token.id, NOW)
            uow.commit()
        return won

    try:
        assert sorted(race([refresh, refresh]), key=str) == [False, True]
    finally:
        engine.dispose()


def test_of_two_concurrent_overlapping_bookings_exactly_one_is_kept(store: Store) -> None:
    guest, place = store.user(), store.place(store.user())

    def book() -> object:
        return store.booking(guest, place, 1, 10)

    outcomes = race([book, book])
    assert sorted(type(o).__name__ for o in outcomes) == ["Booking", "DatesUnavailable"]


def test_two_concurrent_session_version_bumps_both_count_and_a_stale_update_undoes_neither(postgres_url: str) -> None:
    upgrade(postgres_url)
    engine = create_engine(postgres_url)
    store = Store(engine)
    user_id = store.user().id
    both_read = threading.Barrier(2, timeout=10)

    def log_out_everywhere_and_rename(name: str) -> int:
        with store.uow() as uow:
            user = uow.users.get(user_id)
            assert user is not None and user.session_version == 0
            both_read.wait()  # both transactions have read version 0
            version = uow.users.bump_session_version(user_id)
            user.rename(name)
            uow.users.update(user)  # carries the version 0 it read
            uow.commit()
        return version

    try:
        outcomes = race([lambda: log_out_everywhere_and_rename("A"), lambda: log_out_everywhere_and_rename("B")])
        assert sorted(outcomes, key=str) == [1, 2]
        with store.uow() as uow:
            final = uow.users.get(user_id)
        assert final is not None and final.session_version == 2 and final.name in ("A", "B")
    finally:
        engine.dispose()
