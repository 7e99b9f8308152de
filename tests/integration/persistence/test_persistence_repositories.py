from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, timedelta, timezone
from decimal import Decimal

from persistence_store import NOW, Store

from airbnb_core.domain.bookings import BookingStatus
from airbnb_core.domain.payments import PaymentStatus
from airbnb_core.domain.properties import CancellationPolicy
from airbnb_core.domain.users import RefreshToken


def test_a_user_comes_back_as_it_went_in(store: Store) -> None:
    user = store.user(is_host=True, is_admin=True)
    with store.uow() as uow:
        assert uow.users.get(user.id) == user
        assert uow.users.get_by_email(user.email) == user
        assert uow.users.get(uuid.uuid4()) is None
        assert uow.users.get_by_email("nobody@example.com") is None


def test_datetimes_come_back_aware_in_utc_whatever_offset_went_in(store: Store) -> None:
    paris_summer = timezone(timedelta(hours=2))
    user = store.user(created_at=NOW.astimezone(paris_summer))
    with store.uow() as uow:
        loaded = uow.users.get(user.id)
    assert loaded is not None
    assert loaded.created_at == NOW
    assert loaded.created_at.tzinfo is UTC


def test_an_updated_user_keeps_its_changes(store: Store) -> None:
    user = store.user()
    user.rename("Ada King")
    user.become_host()
    with store.uow() as uow:
        uow.users.update(user)
        uow.commit()
    with store.uow() as uow:
        assert uow.users.get(user.id) == user


def test_a_session_version_bump_is_seen_in_its_unit_of_work_and_update_does_not_undo_it(store: Store) -> None:
    user = store.user()
    assert user.session_version == 0
    with store.uow() as uow:
        loaded = uow.users.get(user.id)
        assert loaded is not None
        assert uow.users.bump_session_version(user.id) == 1
        assert uow.users.bump_session_version(user.id) == 2
        seen = uow.users.get(user.id)
        loaded.rename("Ada King")
        uow.users.update(loaded)  # still carries version 0
        uow.commit()
    with store.uow() as uow:
        stored = uow.users.get(user.id)
    assert seen is not None and seen.session_version == 2
    assert stored is not None and (stored.name, stored.session_version) == ("Ada King", 2)


def test_session_version_bumps_from_many_threads_all_count(store: Store) -> None:
    user = store.user()

    def bump() -> int:
        with store.uow() as uow:
            version = uow.users.bump_session_version(user.id)
            uow.commit()
        return version

    with ThreadPoolExecutor(8) as pool:
        versions = sorted(pool.map(lambda _: bump(), range(8)))
    with store.uow() as uow:
        stored = uow.users.get(user.id)
    assert versions == list(range(1, 9))
    assert stored is not None and stored.session_version == 8


def test_users_are_listed_by_creation_time_then_id_starting_after_a_key(store: Store) -> None:
    users = [store.user(created_at=NOW + timedelta(seconds=n % 3)) for n in range(7)]
    expected = sorted(users, key=lambda u: (u.created_at, u.id))
    with store.uow() as uow:
        assert uow.users.list(limit=10, after=None) == expected
        assert uow.users.list(limit=3, after=None) == expected[:3]
        third = expected[2]
        assert uow.users.list(limit=3, after=(third.created_at, third.id)) == expected[3:6]
        last = expected[-1]
        assert uow.users.list(limit=3, after=(last.created_at, last.id)) == []


def test_a_refresh_token_comes_back_as_it_went_in(store: Store) -> None:
    user = store.user()
    token = RefreshToken(uuid.uuid4(), user.id, uuid.uuid4(), "a" * 64, NOW, NOW + timedelta(days=30))
    with store.uow() as uow:
        uow.refresh_tokens.add(token)
        uow.commit()
    with store.uow() as uow:
        assert uow.refresh_tokens.get_by_hash(token.token_hash) == token
        assert uow.refresh_tokens.get_by_hash("b" * 64) is None


def test_a_token_can_be_marked_used_only_once(store: Store) -> None:
    user = store.user()
    token = RefreshToken(uuid.uuid4(), user.id, uuid.uuid4(), "c" * 64, NOW, NOW + timedelta(days=30))
    with store.uow() as uow:
        uow.refresh_tokens.add(token)
        uow.commit()
    with store.uow() as uow:
        assert uow.refresh_tokens.mark_used(token.id, NOW) is True
        assert uow.refresh_tokens.mark_used(token.id, NOW) is False
        uow.commit()
    with store.uow() as uow:
        assert uow.refresh_tokens.mark_used(token.id, NOW) is False
        stored = uow.refresh_tokens.get_by_hash(token.token_hash)
    assert stored is not None and stored.used_at == NOW


def test_revoking_a_family_revokes_only_its_tokens_and_blocks_their_use(store: Store) -> None:
    user = store.user()
    family, other_family = uuid.uuid4(), uuid.uuid4()
    tokens = [
        RefreshToken(uuid.uuid4(), user.id, fam, hash_, NOW, NOW + timedelta(days=1))
        for fam, hash_ in ((family, "d" * 64), (family, "e" * 64), (other_family, "f" * 64))
    ]
    with store.uow() as uow:
        for token in tokens:
            uow.refresh_tokens.add(token)
        uow.commit()
    later = NOW + timedelta(minutes=1)
    with store.uow() as uow:
        uow.refresh_tokens.revoke_family(family, later)
        uow.commit()
    with store.uow() as uow:
        revoked = [uow.refresh_tokens.get_by_hash(t.token_hash) for t in tokens]
        assert [t.revoked_at if t else "missing" for t in revoked] == [later, later, None]
        assert uow.refresh_tokens.mark_used(tokens[0].id, later) is False
        uow.refresh_tokens.revoke_all_for_user(user.id, later)
        uow.commit()
    with store.uow() as uow:
        last = uow.refresh_tokens.get_by_hash(tokens[2].token_hash)
    assert last is not None and last.revoked_at == later


def test_a_property_comes_back_as_it_went_in(store: Store) -> None:
    host = store.user(is_host=True)
    place = store.place(
        host,
        timezone="Europe/Amsterdam",
        cancellation_policy=CancellationPolicy.STRICT,
        amenities=("wifi", "kitchen", "pool"),
        instant_book=True,
        rating_avg=Decimal("4.67"),
        review_count=3,
        weekly_discount_percent=15,
        cleaning_fee=4_000,
        min_nights=2,
        max_nights=30,
    )
    with store.uow() as uow:
        loaded = uow.properties.get(place.id)
    assert loaded == place
    assert loaded is not None
    assert loaded.cancellation_policy is CancellationPolicy.STRICT
    assert loaded.amenities == ("wifi", "kitchen", "pool")
    assert loaded.rating_avg == Decimal("4.67")


def test_a_property_without_ratings_has_no_average(store: Store) -> None:
    place = store.place(store.user())
    with store.uow() as uow:
        loaded = uow.properties.get(place.id)
    assert loaded is not None and loaded.rating_avg is None and loaded.amenities == ()


def test_an_updated_property_keeps_its_changes_and_active_listings_are_counted(store: Store) -> None:
    host = store.user(is_host=True)
    place, other = store.place(host), store.place(host)
    store.place(store.user())
    place.is_active = False
    place.amenities = ("tv",)
    with store.uow() as uow:
        uow.properties.update(place)
        uow.commit()
    with store.uow() as uow:
        assert uow.properties.get(place.id) == place
        assert uow.properties.get(other.id) == other
        assert uow.properties.count_active_by_host(host.id) == 1
        assert uow.properties.count_active_by_host(uuid.uuid4()) == 0


def test_a_booking_comes_back_as_it_went_in_and_keeps_its_transitions(store: Store) -> None:
    booking = store.booking(store.user(), store.place(store.user()), 1, 8)
    with store.uow() as uow:
        assert uow.bookings.get(booking.id) == booking
        assert uow.bookings.get(uuid.uuid4()) is None
    booking.paid(instant_book=True, now=NOW + timedelta(minutes=1))
    with store.uow() as uow:
        uow.bookings.update(booking)
        uow.commit()
    with store.uow() as uow:
        loaded = uow.bookings.get(booking.id)
    assert loaded == booking
    assert loaded is not None and loaded.status is BookingStatus.CONFIRMED and loaded.hold_expires_at is None


def test_a_payment_comes_back_as_it_went_in_and_keeps_its_refunds(store: Store) -> None:
    booking = store.booking(store.user(), store.place(store.user()), 1, 3)
    payment = store.payment(booking)
    with store.uow() as uow:
        assert uow.payments.get_for_booking(booking.id) == payment
        assert uow.payments.get_for_booking(uuid.uuid4()) is None
    payment.refunded(1_000, NOW + timedelta(days=1))
    with store.uow() as uow:
        uow.payments.update(payment)
        uow.commit()
    with store.uow() as uow:
        loaded = uow.payments.get_for_booking(booking.id)
    assert loaded == payment
    assert loaded is not None and loaded.payment_status is PaymentStatus.PARTIALLY_REFUNDED


def test_a_review_comes_back_as_it_went_in(store: Store) -> None:
    booking = store.booking(store.user(), store.place(store.user()), 1, 3, status=BookingStatus.CONFIRMED)
    review = store.review(booking, rating=4, comment="Great light, noisy street.")
    with store.uow() as uow:
        assert uow.reviews.get_for_booking(booking.id) == review
        assert uow.reviews.get_for_booking(uuid.uuid4()) is None
