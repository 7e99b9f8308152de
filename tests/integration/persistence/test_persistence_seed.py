from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise

import argon2
import pytest
import sqlalchemy as sa
from persistence_store import Store

from adapters.persistence.models import BookingRow, PropertyRow, ReviewRow, UserRow
from adapters.persistence.seed import DEMO_PASSWORD, SeedCounts, seed_database
from airbnb_core.domain.bookings import BookingStatus

NOW = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
SIZES = {"users": 40, "properties": 60, "bookings": 500, "reviews": 150}


@pytest.fixture
def seeded(database_url: str, engine: sa.Engine) -> tuple[sa.Engine, SeedCounts, list[tuple[str, int]]]:
    reports: list[tuple[str, int]] = []
    counts = seed_database(
        database_url,
        **SIZES,
        now=NOW,
        progress=lambda stage, rows: reports.append((stage, rows)),
    )
    return engine, counts, reports


def test_seeding_inserts_the_rows_it_reports(seeded: tuple[sa.Engine, SeedCounts, list[tuple[str, int]]]) -> None:
    engine, counts, reports = seeded
    assert counts == SeedCounts(**SIZES)
    with engine.connect() as connection:
        for table, expected in SIZES.items():
            assert connection.scalar(sa.text(f"SELECT count(*) FROM {table}")) == expected
    final = {stage: rows for stage, rows in reports}
    assert final == {**SIZES, "ratings": final["ratings"]}
    assert 0 < final["ratings"] <= SIZES["properties"]


def test_seeded_rows_keep_the_domain_rules(seeded: tuple[sa.Engine, SeedCounts, list[tuple[str, int]]]) -> None:
    engine, _, _ = seeded
    store = Store(engine)
    with engine.connect() as connection:
        users = {row.id: row for row in connection.execute(sa.select(UserRow))}
        property_ids = connection.scalars(sa.select(PropertyRow.id)).all()
        booking_ids = connection.scalars(sa.select(BookingRow.id)).all()
        reviews = connection.execute(sa.select(ReviewRow)).all()
    assert 1 <= sum(user.is_host for user in users.values()) <= len(users) / 5
    assert argon2.PasswordHasher().verify(next(iter(users.values())).password_hash, DEMO_PASSWORD)

    with store.uow() as uow:
        places = {pid: uow.properties.get(pid) for pid in property_ids}
        bookings = [uow.bookings.get(bid) for bid in booking_ids]
    for place in places.values():
        assert place is not None
        place.validate()
        assert users[place.host_id].is_host

    active_stays = defaultdict(list)
    for booking in bookings:
        assert booking is not None
        place = places[booking.property_id]
        assert place is not None and booking.user_id != place.host_id
        quote = place.quote(booking.stay, Decimal("0.10"))
        assert booking.total_price == quote.total.amount and booking.currency == place.currency
        assert booking.created_at <= NOW
        if booking.status in (BookingStatus.PENDING, BookingStatus.REQUESTED, BookingStatus.CONFIRMED):
            active_stays[booking.property_id].append(booking.stay)
    for stays in active_stays.values():
        stays.sort(key=lambda stay: stay.check_in)
        assert all(a.check_out <= b.check_in for a, b in pairwise(stays))

    by_id = {booking.id: booking for booking in bookings if booking is not None}
    for review in reviews:
        booking = by_id[review.booking_id]
        assert booking.status is BookingStatus.CONFIRMED and booking.check_out_date <= NOW.date()
        assert (review.user_id, review.property_id) == (booking.user_id, booking.property_id)


def test_ratings_are_the_exact_average_of_each_propertys_reviews(
    seeded: tuple[sa.Engine, SeedCounts, list[tuple[str, int]]],
) -> None:
    engine, _, _ = seeded
    with engine.connect() as connection:
        ratings = defaultdict(list)
        for property_id, rating in connection.execute(sa.select(ReviewRow.property_id, ReviewRow.rating)):
            ratings[property_id].append(rating)
        rows = connection.execute(sa.select(PropertyRow.id, PropertyRow.rating_avg, PropertyRow.review_count)).all()
    assert ratings
    for property_id, rating_avg, review_count in rows:
        given = ratings.get(property_id, [])
        assert review_count == len(given)
        if given:
            exact = (Decimal(sum(given)) / len(given)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            assert rating_avg == exact
        else:
            assert rating_avg is None


def test_seeding_refuses_bookings_without_a_guest_who_is_not_the_host(database_url: str) -> None:
    with pytest.raises(ValueError, match="two users"):
        seed_database(database_url, users=1, properties=1, bookings=1, reviews=0)
