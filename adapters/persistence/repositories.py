"""Repositories over one session. Rows go in and dataclasses of the core come out, never ORM objects."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable
from dataclasses import fields
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from adapters.persistence.models import (
    Base,
    BookingRow,
    PaymentRow,
    PropertyRow,
    RefreshTokenRow,
    ReviewRow,
    UserRow,
)
from airbnb_core.domain.bookings import ACTIVE_STATUSES, Booking, BookingStatus
from airbnb_core.domain.errors import DatesUnavailable
from airbnb_core.domain.payments import Payment, PaymentStatus
from airbnb_core.domain.properties import CancellationPolicy, Property
from airbnb_core.domain.reviews import Review
from airbnb_core.domain.users import RefreshToken, User

E = TypeVar("E")
R = TypeVar("R", bound=Base)


def _column_value(value: Any) -> Any:
    # Enum members go in as their values: psycopg would otherwise write an Enum's *name*.
    if isinstance(value, enum.Enum):
        return value.value
    return list(value) if isinstance(value, tuple) else value


def _to_row(model: type[R], entity: Any) -> R:
    return model(**{f.name: _column_value(getattr(entity, f.name)) for f in fields(entity)})


def _to_entity(row: Base, entity: Callable[..., E], **convert: Callable[[Any], Any]) -> E:
    """Build ``entity`` from the row's columns of the same names, passing some through ``convert``."""
    values = {f.name: getattr(row, f.name) for f in fields(entity)}  # type: ignore[arg-type]
    return entity(**{name: convert[name](v) if name in convert else v for name, v in values.items()})


def _user(row: UserRow) -> User:
    return _to_entity(row, User)


def _refresh_token(row: RefreshTokenRow) -> RefreshToken:
    return _to_entity(row, RefreshToken)


def _property(row: PropertyRow) -> Property:
    return _to_entity(row, Property, cancellation_policy=CancellationPolicy, amenities=tuple)


def _booking(row: BookingRow) -> Booking:
    return _to_entity(row, Booking, status=BookingStatus)


def _payment(row: PaymentRow) -> Payment:
    return _to_entity(row, Payment, payment_status=PaymentStatus)


def _review(row: ReviewRow) -> Review:
    return _to_entity(row, Review)


class _Repository:
    def __init__(self, session: Session) -> None:
        self._session = session


class SqlAlchemyUserRepository(_Repository):
    def add(self, user: User) -> None:
        self._session.add(_to_row(UserRow, user))

    def get(self, user_id: uuid.UUID) -> User | None:
        row = self._session.get(UserRow, user_id)
        return _user(row) if row else None

    def get_by_email(self, email: str) -> User | None:
        row = self._session.scalar(sa.select(UserRow).where(UserRow.email == email))
        return _user(row) if row else None

    def update(self, user: User) -> None:
        self._session.merge(_to_row(UserRow, user))

    def list(self, *, limit: int, after: tuple[datetime, uuid.UUID] | None) -> list[User]:
        query = sa.select(UserRow).order_by(UserRow.created_at, UserRow.id).limit(limit)
        if after is not None:
            query = query.where(sa.tuple_(UserRow.created_at, UserRow.id) > after)
        return [_user(row) for row in self._session.scalars(query)]


class SqlAlchemyRefreshTokenRepository(_Repository):
    def add(self, token: RefreshToken) -> None:
        self._session.add(_to_row(RefreshTokenRow, token))

    def get_by_hash(self, token_hash: str) -> RefreshToken | None:
        row = self._session.scalar(sa.select(RefreshTokenRow).where(RefreshTokenRow.token_hash == token_hash))
        return _refresh_token(row) if row else None

    def mark_used(self, token_id: uuid.UUID, at: datetime) -> bool:
        # One conditional UPDATE: of two concurrent refreshes, the second waits for the first's row
        # lock, then finds used_at set and matches no row.
        result: sa.CursorResult[Any] = self._session.execute(  # type: ignore[assignment]
            sa.update(RefreshTokenRow)
            .where(
                RefreshTokenRow.id == token_id,
                RefreshTokenRow.used_at.is_(None),
                RefreshTokenRow.revoked_at.is_(None),
            )
            .values(used_at=at)
        )
        return result.rowcount == 1

    def revoke_family(self, family_id: uuid.UUID, at: datetime) -> None:
        self._revoke(RefreshTokenRow.family_id == family_id, at)

    def revoke_all_for_user(self, user_id: uuid.UUID, at: datetime) -> None:
        self._revoke(RefreshTokenRow.user_id == user_id, at)

    def _revoke(self, which: sa.ColumnElement[bool], at: datetime) -> None:
        self._session.execute(
            sa.update(RefreshTokenRow).where(which, RefreshTokenRow.revoked_at.is_(None)).values(revoked_at=at)
        )


class SqlAlchemyPropertyRepository(_Repository):
    def add(self, place: Property) -> None:
        self._session.add(_to_row(PropertyRow, place))

    def get(self, property_id: uuid.UUID) -> Property | None:
        row = self._session.get(PropertyRow, property_id)
        return _property(row) if row else None

    def update(self, place: Property) -> None:
        self._session.merge(_to_row(PropertyRow, place))

    def count_active_by_host(self, host_id: uuid.UUID) -> int:
        query = sa.select(sa.func.count()).where(PropertyRow.host_id == host_id, PropertyRow.is_active)
        return self._session.scalar(query) or 0


class SqlAlchemyBookingRepository(_Repository):
    def add(self, booking: Booking) -> None:
        if booking.status in ACTIVE_STATUSES and self._needs_overlap_check() and self._overlaps(booking):
            raise DatesUnavailable("these dates are no longer available")
        self._session.add(_to_row(BookingRow, booking))

    def get(self, booking_id: uuid.UUID) -> Booking | None:
        row = self._session.get(BookingRow, booking_id)
        return _booking(row) if row else None

    def update(self, booking: Booking) -> None:
        self._session.merge(_to_row(BookingRow, booking))

    def _needs_overlap_check(self) -> bool:
        # PostgreSQL enforces this with the bookings_no_overlap exclusion constraint.
        return self._session.get_bind().dialect.name != "postgresql"

    def _overlaps(self, booking: Booking) -> bool:
        active = [status.value for status in ACTIVE_STATUSES]
        query = sa.select(
            sa.exists().where(
                BookingRow.property_id == booking.property_id,
                BookingRow.status.in_(active),
                BookingRow.check_in_date < booking.check_out_date,
                BookingRow.check_out_date > booking.check_in_date,
            )
        )
        return bool(self._session.scalar(query))


class SqlAlchemyPaymentRepository(_Repository):
    def add(self, payment: Payment) -> None:
        self._session.add(_to_row(PaymentRow, payment))

    def get_for_booking(self, booking_id: uuid.UUID) -> Payment | None:
        row = self._session.scalar(sa.select(PaymentRow).where(PaymentRow.booking_id == booking_id))
        return _payment(row) if row else None

    def update(self, payment: Payment) -> None:
        self._session.merge(_to_row(PaymentRow, payment))


class SqlAlchemyReviewRepository(_Repository):
    def add(self, review: Review) -> None:
        self._session.add(_to_row(ReviewRow, review))

    def get_for_booking(self, booking_id: uuid.UUID) -> Review | None:
        row = self._session.scalar(sa.select(ReviewRow).where(ReviewRow.booking_id == booking_id))
        return _review(row) if row else None
