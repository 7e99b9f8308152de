"""Test data for the persistence tests: valid entities, saved through the repositories."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa

from adapters.persistence import SqlAlchemyUnitOfWork, make_session_factory
from airbnb_core.domain.bookings import Booking, BookingStatus
from airbnb_core.domain.payments import Payment, PaymentStatus
from airbnb_core.domain.properties import Property
from airbnb_core.domain.reviews import Review
from airbnb_core.domain.users import User

E = TypeVar("E")

# Microseconds on purpose: they must survive the round trip on both dialects.
NOW = datetime(2030, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)


class Store:
    """Builds valid entities and saves them through the repositories, one committed unit of work each."""

    def __init__(self, engine: sa.Engine) -> None:
        self.dialect = engine.dialect.name
        self._sessions = make_session_factory(engine)

    def uow(self) -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(self._sessions)

    def _save(self, repository: str, entity: E) -> E:
        with self.uow() as uow:
            getattr(uow, repository).add(entity)
            uow.commit()
        return entity

    def user(self, **overrides: Any) -> User:
        user_id = uuid.uuid4()
        user = User(user_id, "Ada Lovelace", f"ada-{user_id.hex[:8]}@example.com", "scrypt$hash", NOW)
        return self._save("users", replace(user, **overrides))

    def place(self, host: User, **overrides: Any) -> Property:
        place = Property(
            id=uuid.uuid4(),
            host_id=host.id,
            title="Loft by the canal",
            description="Bright, quiet, two minutes from the station.",
            location="12 Prinsengracht",
            city="Amsterdam",
            country="NL",
            latitude=52.37,
            longitude=4.89,
            price_per_night=12_500,
            currency="EUR",
            max_guests=4,
            created_at=NOW,
            updated_at=NOW,
        )
        return self._save("properties", replace(place, **overrides))

    def booking(self, guest: User, place: Property, check_in: int, check_out: int, **overrides: Any) -> Booking:
        """A booking from day ``check_in`` to day ``check_out`` of July 2030."""
        booking = Booking(
            id=uuid.uuid4(),
            user_id=guest.id,
            property_id=place.id,
            check_in_date=date(2030, 7, check_in),
            check_out_date=date(2030, 7, check_out),
            guests=2,
            status=BookingStatus.PENDING,
            nightly_subtotal=25_000,
            cleaning_fee=3_000,
            service_fee=2_800,
            total_price=30_800,
            currency="EUR",
            hold_expires_at=NOW + timedelta(minutes=15),
            created_at=NOW,
            updated_at=NOW,
        )
        return self._save("bookings", replace(booking, **overrides))

    def payment(self, booking: Booking, **overrides: Any) -> Payment:
        payment = Payment(
            id=uuid.uuid4(),
            booking_id=booking.id,
            amount=booking.total_price,
            currency=booking.currency,
            provider="sandbox",
            provider_payment_id=f"pi_{uuid.uuid4().hex}",
            payment_method="pm_card_visa",
            payment_status=PaymentStatus.SUCCEEDED,
            created_at=NOW,
            updated_at=NOW,
        )
        return self._save("payments", replace(payment, **overrides))

    def review(self, booking: Booking, **overrides: Any) -> Review:
        review = Review(uuid.uuid4(), booking.id, booking.user_id, booking.property_id, 5, "Lovely stay.", NOW)
        return self._save("reviews", replace(review, **overrides))
