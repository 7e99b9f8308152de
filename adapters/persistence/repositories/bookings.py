"""Bookings, and the SQL form of the rules on which nights a booking holds."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Collection
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from adapters.persistence.models import (
    BookingRow,
    PropertyRow,
)
from adapters.persistence.repositories._common import (
    _after,
    _constant,
    _optional,
    _parameter,
    _Repository,
    _to_entity,
    _to_row,
)
from airbnb_core.domain.bookings import ACTIVE_STATUSES, Booking, BookingRole, BookingStatus, CancelledBy
from airbnb_core.domain.errors import DatesUnavailable
from airbnb_core.domain.stay import Stay


def _booking(row: BookingRow) -> Booking:
    return _to_entity(row, Booking, status=BookingStatus, cancelled_by=_optional(CancelledBy))


def _holds_dates(now: datetime | sa.BindParameter[datetime]) -> sa.ColumnElement[bool]:
    """``Booking.blocks_dates`` in SQL: confirmed, or pending or requested with a hold not yet run out.

    The active-status test repeats the predicate of the ``bookings_no_overlap`` index so that index applies.
    """
    status = BookingRow.status
    return sa.and_(
        status.in_([_constant(s.value) for s in sorted(ACTIVE_STATUSES)]),
        sa.or_(
            status == _constant(BookingStatus.CONFIRMED.value),
            BookingRow.hold_expires_at.is_(None),
            BookingRow.hold_expires_at > now,
        ),
    )


def _status_at(status: BookingStatus, now: datetime) -> sa.ColumnElement[bool]:
    """``Booking.status_at(now) == status`` in SQL: a pending or requested booking whose hold has run out
    reads expired, whether or not a sweep has stored it so."""
    waiting = (BookingStatus.PENDING, BookingStatus.REQUESTED)
    lapsed = sa.and_(BookingRow.hold_expires_at.is_not(None), BookingRow.hold_expires_at <= now)
    if status is BookingStatus.EXPIRED:
        return sa.or_(
            BookingRow.status == status.value,
            sa.and_(BookingRow.status.in_([s.value for s in waiting]), lapsed),
        )
    if status in waiting:
        return sa.and_(BookingRow.status == status.value, sa.not_(lapsed))
    return BookingRow.status == status.value


def _overlaps(check_in: Any, check_out: Any, postgres: bool) -> sa.ColumnElement[bool]:
    """Bookings whose half-open stay overlaps ``[check_in, check_out)`` (dates or bound parameters)."""
    if postgres:
        # The exclusion constraint's own expression, so that its GiST index answers the test.
        def stay_range(start: Any, end: Any) -> sa.ColumnElement[Any]:
            return sa.func.daterange(start, end, sa.literal_column("'[)'"))

        booked = stay_range(BookingRow.check_in_date, BookingRow.check_out_date)
        return booked.bool_op("&&")(stay_range(check_in, check_out))
    return sa.and_(BookingRow.check_in_date < check_out, BookingRow.check_out_date > check_in)


# The statements of booking creation are built once, with named parameters: building each statement and
# its cache key again on every request was a tenth of a booking's Python time.
_LOCK_CALENDAR = (
    sa.select(PropertyRow)
    .where(PropertyRow.id == _parameter("property_id", PropertyRow.id.type))
    .with_for_update(key_share=True)  # FOR NO KEY UPDATE
)


@functools.cache
def _lapsed_statement(*, by_property: bool, overlapping: bool) -> sa.Select[BookingRow]:
    waiting = [BookingStatus.PENDING.value, BookingStatus.REQUESTED.value]
    now = _parameter("now", BookingRow.hold_expires_at.type)
    query = sa.select(BookingRow).where(BookingRow.status.in_(waiting), BookingRow.hold_expires_at <= now)
    if by_property:
        query = query.where(BookingRow.property_id == _parameter("property_id", BookingRow.property_id.type))
    if overlapping:
        query = query.where(
            BookingRow.check_in_date < _parameter("check_out", sa.Date),
            BookingRow.check_out_date > _parameter("check_in", sa.Date),
        )
    return query.with_for_update()


@functools.cache
def _held_stays_statement(postgres: bool) -> sa.Select[uuid.UUID, date, date]:
    ids = sa.bindparam("property_ids", expanding=True, type_=BookingRow.property_id.type)
    start, end = _parameter("start", sa.Date), _parameter("end", sa.Date)
    return (
        sa.select(BookingRow.property_id, BookingRow.check_in_date, BookingRow.check_out_date)
        .where(
            BookingRow.property_id.in_(ids),
            _overlaps(start, end, postgres),
            _holds_dates(_parameter("now", BookingRow.hold_expires_at.type)),
        )
        .order_by(BookingRow.check_in_date, BookingRow.check_out_date)
    )


class SqlAlchemyBookingRepository(_Repository):
    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self._locked_rows: list[PropertyRow | None] = []

    def add(self, booking: Booking) -> None:
        if booking.status in ACTIVE_STATUSES and self._needs_overlap_check() and self._overlaps(booking):
            raise DatesUnavailable("these dates are no longer available")
        self._insert(_to_row(BookingRow, booking))

    def get(self, booking_id: uuid.UUID) -> Booking | None:
        row = self._session.get(BookingRow, booking_id)
        return _booking(row) if row else None

    def get_many(self, booking_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Booking]:
        if not booking_ids:
            return {}
        rows = self._session.scalars(sa.select(BookingRow).where(BookingRow.id.in_(set(booking_ids))))
        return {row.id: _booking(row) for row in rows}

    def update(self, booking: Booking) -> None:
        self._session.merge(_to_row(BookingRow, booking))

    def lock(self, booking_id: uuid.UUID) -> Booking | None:
        # FOR UPDATE on PostgreSQL; SQLite's write transactions (BEGIN IMMEDIATE) already run one at a time.
        query = sa.select(BookingRow).where(BookingRow.id == booking_id).with_for_update()
        row = self._session.scalars(query.execution_options(populate_existing=True)).one_or_none()
        return _booking(row) if row else None

    def lock_calendar(self, property_id: uuid.UUID) -> None:
        # Two transactions inserting overlapping bookings would each wait on the other's row in the
        # exclusion constraint's check: a deadlock, whose victim would get an error instead of a 409.
        # Locking the property first (NO KEY UPDATE leaves foreign-key checks free) queues them, so
        # the second sees the first's booking when it checks. SQLite's write transactions already queue.
        # The whole row, not its id: the use case reads the property next, and finds it in the session. The
        # session holds unchanged rows weakly, so this repository keeps it for the unit of work's life.
        if self._postgres:
            self._locked_rows.append(self._session.scalars(_LOCK_CALENDAR, {"property_id": property_id}).first())

    def expire_lapsed(
        self, now: datetime, *, property_id: uuid.UUID | None = None, overlapping: Stay | None = None
    ) -> list[Booking]:
        query = _lapsed_statement(by_property=property_id is not None, overlapping=overlapping is not None)
        values: dict[str, Any] = {"now": now, "property_id": property_id}
        if overlapping is not None:
            values.update(check_in=overlapping.check_in, check_out=overlapping.check_out)
        lapsed = [_booking(row) for row in self._session.scalars(query, values)]
        for booking in lapsed:
            booking.expire(now)
            self.update(booking)
        # Written now, so the exclusion constraint no longer counts them when the new booking is inserted.
        self._session.flush()
        return lapsed

    def held_stays(
        self, property_ids: Collection[uuid.UUID], start: date, end: date, now: datetime
    ) -> dict[uuid.UUID, list[Stay]]:
        if not property_ids:
            return {}
        values = {"property_ids": list(set(property_ids)), "start": start, "end": end, "now": now}
        held: dict[uuid.UUID, list[Stay]] = {}
        for property_id, check_in, check_out in self._session.execute(_held_stays_statement(self._postgres), values):
            held.setdefault(property_id, []).append(Stay(check_in, check_out))
        return held

    def holds_dates_from(self, property_id: uuid.UUID, day: date, now: datetime) -> bool:
        held = sa.exists().where(
            BookingRow.property_id == property_id, BookingRow.check_out_date > day, _holds_dates(now)
        )
        return bool(self._session.scalar(sa.select(held)))

    def list_for(
        self,
        user_id: uuid.UUID,
        role: BookingRole,
        *,
        status: BookingStatus | None,
        now: datetime,
        limit: int,
        after: tuple[datetime, uuid.UUID] | None,
    ) -> list[Booking]:
        columns = (BookingRow.created_at, BookingRow.id)
        query = sa.select(BookingRow).order_by(*(column.desc() for column in columns)).limit(limit)
        if role is BookingRole.HOST:
            query = query.join(PropertyRow, PropertyRow.id == BookingRow.property_id).where(
                PropertyRow.host_id == user_id
            )
        else:
            query = query.where(BookingRow.user_id == user_id)
        if status is not None:
            query = query.where(_status_at(status, now))
        if after is not None:
            query = query.where(_after(columns, after, rising=False))
        return [_booking(row) for row in self._session.scalars(query)]

    def _needs_overlap_check(self) -> bool:
        # PostgreSQL enforces this with the bookings_no_overlap exclusion constraint.
        return not self._postgres

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
