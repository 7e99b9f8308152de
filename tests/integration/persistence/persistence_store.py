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
from airbnb_core.domain.stay import Stay
from airbnb_core.domain.users import User
from tests.builders import a_booking, a_property, a_user

E = TypeVar("E")

# Microseconds on purpose: they must survive the round trip on both dialects.
NOW = datetime(2030, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)


class Store:
    """Builds valid entities and saves them through the repositories, one committed unit of work each."""

    def __init__(self, engine: sa.Engine) -> None:
        self.dialect = engine.dialect.name
        self.engine = engine
        self._sessions = make_session_factory(engine)

    def uow(self) -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(self._sessions)

    def _save(self, repository: str, entity: E) -> E:
        with self.uow() as uow:
            getattr(uow, repository).add(entity)
            uow.commit()
        return entity

    def user(self, **overrides: Any) -> User:
        return self._save("users", a_user(**{"created_at": NOW, **overrides}))

    def place(self, host: User, **overrides: Any) -> Property:
        return self._save("properties", a_property(host=host, **{"created_at": NOW, **overrides}))

    def booking(self, guest: User, place: Property, check_in: int, check_out: int, **overrides: Any) -> Booking:
        """A pending booking from day ``check_in`` to day ``check_out`` of July 2030."""
        stay = Stay(date(2030, 7, check_in), date(2030, 7, check_out))
        pending = {"status": BookingStatus.PENDING, "hold_expires_at": NOW + timedelta(minutes=15), "created_at": NOW}
        return self._save("bookings", a_booking(guest=guest, place=place, stay=stay, **{**pending, **overrides}))

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
