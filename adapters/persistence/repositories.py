"""Repositories over one session. Rows go in and dataclasses of the core come out, never ORM objects."""

from __future__ import annotations

import enum
import functools
import uuid
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import fields
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from adapters.persistence.models import (
    SEARCH_VECTOR,
    Base,
    BookingRow,
    OutboxRow,
    PaymentRow,
    ProcessedWebhookEventRow,
    PropertyRow,
    RefreshTokenRow,
    ReviewRow,
    UserRow,
)
from airbnb_core.domain.bookings import ACTIVE_STATUSES, Booking, BookingRole, BookingStatus, CancelledBy
from airbnb_core.domain.errors import DatesUnavailable
from airbnb_core.domain.events import OutboxMessage
from airbnb_core.domain.payments import CAPTURED_STATUSES, Payment, PaymentStatus
from airbnb_core.domain.properties import CancellationPolicy, Property
from airbnb_core.domain.reviews import Review, rating_average
from airbnb_core.domain.search import KM_PER_DEGREE_LATITUDE, Circle, SearchCriteria, SearchSort, SortValue, ascending
from airbnb_core.domain.stay import Stay
from airbnb_core.domain.users import RefreshToken, User

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

E = TypeVar("E")
R = TypeVar("R", bound=Base)


def _column_value(value: Any) -> Any:
    # Enum members go in as their values: psycopg would otherwise write an Enum's *name*.
    if isinstance(value, enum.Enum):
        return value.value
    return list(value) if isinstance(value, tuple) else value


@functools.cache
def _field_names(entity: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(entity))


def _to_row(model: type[R], entity: DataclassInstance) -> R:
    return model(**{name: _column_value(getattr(entity, name)) for name in _field_names(type(entity))})


def _to_entity(row: Base | sa.Row[Any], entity: Callable[..., E], **convert: Callable[[Any], Any]) -> E:
    """Build ``entity`` from the row's columns of the same names, passing some through ``convert``."""
    values = {name: getattr(row, name) for name in _field_names(entity)}
    return entity(**{name: convert[name](v) if name in convert else v for name, v in values.items()})


def _user(row: UserRow) -> User:
    return _to_entity(row, User)


def _refresh_token(row: RefreshTokenRow) -> RefreshToken:
    return _to_entity(row, RefreshToken)


def _property(row: PropertyRow | sa.Row[Any]) -> Property:
    return _to_entity(row, Property, cancellation_policy=CancellationPolicy, amenities=tuple)


def _optional(convert: Callable[[Any], E]) -> Callable[[Any], E | None]:
    return lambda value: None if value is None else convert(value)


def _booking(row: BookingRow) -> Booking:
    return _to_entity(row, Booking, status=BookingStatus, cancelled_by=_optional(CancelledBy))


def _payment(row: PaymentRow) -> Payment:
    return _to_entity(row, Payment, payment_status=PaymentStatus)


def _review(row: ReviewRow | sa.Row[Any]) -> Review:
    return _to_entity(row, Review)


def _after(columns: Sequence[Any], key: Sequence[Any], *, rising: bool) -> sa.ColumnElement[bool]:
    """Keyset pagination: rows strictly after ``key`` in the order of ``columns``, as one row-value comparison.

    Each value is bound with its column's type: inferred from the Python value instead, a datetime
    would skip the UTC normalization and a UUID the hex form SQLite stores.
    """
    bound = (sa.bindparam(None, value, type_=column.type) for column, value in zip(columns, key, strict=True))
    row, start = sa.tuple_(*columns), sa.tuple_(*bound)
    return row > start if rising else row < start


def _constant(value: str) -> sa.ColumnElement[str]:
    # Inlined rather than bound: PostgreSQL proves a partial index's predicate only from constants.
    return sa.literal(value, literal_execute=True)


def _holds_dates(now: datetime) -> sa.ColumnElement[bool]:
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


def _overlaps(stay: Stay, postgres: bool) -> sa.ColumnElement[bool]:
    """Bookings whose half-open stay overlaps ``stay``."""
    if postgres:
        # The exclusion constraint's own expression, so that its GiST index answers the test.
        def stay_range(check_in: Any, check_out: Any) -> sa.ColumnElement[Any]:
            return sa.func.daterange(check_in, check_out, sa.literal_column("'[)'"))

        booked = stay_range(BookingRow.check_in_date, BookingRow.check_out_date)
        return booked.bool_op("&&")(stay_range(stay.check_in, stay.check_out))
    return sa.and_(BookingRow.check_in_date < stay.check_out, BookingRow.check_out_date > stay.check_in)


class _Repository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def _insert(self, row: Base) -> None:
        # Rows have no ORM relationships, so the flush would not know that a booking's user must be
        # inserted first; inserting as they are added keeps parent-before-child in any use case.
        self._session.add(row)
        self._session.flush()

    @property
    def _postgres(self) -> bool:
        return self._session.get_bind().dialect.name == "postgresql"


class SqlAlchemyUserRepository(_Repository):
    def add(self, user: User) -> None:
        self._insert(_to_row(UserRow, user))

    def get(self, user_id: uuid.UUID) -> User | None:
        row = self._session.get(UserRow, user_id)
        return _user(row) if row else None

    def get_by_email(self, email: str) -> User | None:
        row = self._session.scalar(sa.select(UserRow).where(UserRow.email == email))
        return _user(row) if row else None

    def get_many(self, user_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, User]:
        if not user_ids:
            return {}
        rows = self._session.scalars(sa.select(UserRow).where(UserRow.id.in_(set(user_ids))))
        return {row.id: _user(row) for row in rows}

    def update(self, user: User) -> None:
        # Merging leaves alone the attributes a row does not carry, so the version is kept out: written
        # back as it was read, it would undo a bump that another transaction committed in between.
        fields = {name: _column_value(getattr(user, name)) for name in _field_names(User) if name != "session_version"}
        self._session.merge(UserRow(**fields))

    def bump_session_version(self, user_id: uuid.UUID) -> int:
        # Incremented by the database, not read and written back: of two concurrent bumps the second
        # waits for the first's row lock (PostgreSQL) or write lock (SQLite) and adds one to its result.
        version: int = self._session.execute(
            sa.update(UserRow)
            .where(UserRow.id == user_id)
            .values(session_version=UserRow.session_version + 1)
            .returning(UserRow.session_version)
            .execution_options(synchronize_session=False)
        ).scalar_one()
        # The ORM's own synchronization would add one to the value this session read, which another
        # transaction may have moved since; a later get() in this unit of work sees the real one.
        loaded = self._session.identity_map.get(self._session.identity_key(UserRow, user_id))
        if loaded is not None:
            set_committed_value(loaded, "session_version", version)
        return version

    def list(self, *, limit: int, after: tuple[datetime, uuid.UUID] | None) -> list[User]:
        columns = (UserRow.created_at, UserRow.id)
        query = sa.select(UserRow).order_by(*columns).limit(limit)
        if after is not None:
            query = query.where(_after(columns, after, rising=True))
        return [_user(row) for row in self._session.scalars(query)]


class SqlAlchemyRefreshTokenRepository(_Repository):
    def add(self, token: RefreshToken) -> None:
        self._insert(_to_row(RefreshTokenRow, token))

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
        self._insert(_to_row(PropertyRow, place))

    def get(self, property_id: uuid.UUID) -> Property | None:
        row = self._session.get(PropertyRow, property_id)
        return _property(row) if row else None

    def get_many(self, property_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Property]:
        if not property_ids:
            return {}
        rows = self._session.scalars(sa.select(PropertyRow).where(PropertyRow.id.in_(set(property_ids))))
        return {row.id: _property(row) for row in rows}

    def update(self, place: Property) -> None:
        self._session.merge(_to_row(PropertyRow, place))

    def refresh_rating(self, property_id: uuid.UUID) -> None:
        # Locked first: a concurrent review of the same property waits here until this transaction
        # commits, and its aggregate query (a new statement, so a new snapshot under READ COMMITTED)
        # then counts this review too. SQLite's write transactions already run one at a time.
        locked = sa.select(PropertyRow.id).where(PropertyRow.id == property_id).with_for_update(key_share=True)
        self._session.execute(locked)
        self._session.flush()
        total, count = self._session.execute(
            sa.select(sa.func.coalesce(sa.func.sum(ReviewRow.rating), 0), sa.func.count()).where(
                ReviewRow.property_id == property_id
            )
        ).one()
        self._session.execute(
            sa.update(PropertyRow)
            .where(PropertyRow.id == property_id)
            .values(rating_avg=rating_average(int(total), int(count)), review_count=count)
            .execution_options(synchronize_session=False)
        )

    def count_active_by_host(self, host_id: uuid.UUID) -> int:
        query = sa.select(sa.func.count()).where(PropertyRow.host_id == host_id, PropertyRow.is_active)
        return self._session.scalar(query) or 0

    def search(
        self, criteria: SearchCriteria, *, after: tuple[SortValue, uuid.UUID] | None, limit: int, now: datetime
    ) -> list[Property]:
        """One Core query: each filter, the sort and the page limit run in the database.

        Migration 0002 has an index for each main shape of this query, already in its sort order.
        Text matching differs by dialect, see ``_text_filters``.
        """
        columns = (_sort_key(criteria.sort), PropertyRow.id)
        rising = ascending(criteria.sort)
        query = (
            sa.select(PropertyRow.__table__)
            .join(UserRow, UserRow.id == PropertyRow.host_id)
            .where(PropertyRow.is_active, UserRow.is_active, *_search_filters(criteria, now, self._postgres))
            .order_by(*(column if rising else column.desc() for column in columns))
            .limit(limit)
        )
        if after is not None:
            query = query.where(_after(columns, after, rising=rising))
        # Core rows straight from the connection: the ORM session's execute adds nothing here but cost.
        return [_property(row) for row in self._session.connection().execute(query)]


def _sort_key(sort: SearchSort) -> sa.ColumnElement[Any]:
    """The column ``airbnb_core.domain.search.sort_value`` orders by; ties go by id in the same direction."""
    if sort in (SearchSort.PRICE_ASC, SearchSort.PRICE_DESC):
        return PropertyRow.price_per_night.expression
    if sort is SearchSort.RATING:
        # Spelled exactly as the ix_properties_active_rating expression, literal 0 included.
        return sa.func.coalesce(PropertyRow.rating_avg, sa.literal_column("0"))
    return PropertyRow.created_at.expression


def _search_filters(c: SearchCriteria, now: datetime, postgres: bool) -> Iterator[sa.ColumnElement[bool]]:
    """The reference filters of ``airbnb_core.inmemory.store._matches``, in SQL."""
    place = PropertyRow
    if c.city is not None:
        yield sa.func.lower(place.city) == sa.func.lower(c.city)
    if c.country is not None:
        yield place.country == c.country.upper()
    if c.text:
        yield from _text_filters(c.text.lower().split(), postgres)
    if c.guests is not None:
        yield place.max_guests >= c.guests
    if c.stay is not None:
        yield place.min_nights <= c.stay.nights
        yield place.max_nights >= c.stay.nights
        yield ~sa.exists().where(BookingRow.property_id == place.id, _overlaps(c.stay, postgres), _holds_dates(now))
    if c.min_price is not None:
        yield place.price_per_night >= c.min_price
    if c.max_price is not None:
        yield place.price_per_night <= c.max_price
    if c.amenities:
        yield from _amenity_filters(sorted(c.amenities), postgres)
    if c.instant_book is not None:
        yield place.instant_book == c.instant_book
    if c.area is not None:
        yield from _area_filters(c.area)


def _text_filters(words: list[str], postgres: bool) -> list[sa.ColumnElement[bool]]:
    """Every word must occur in the title, description or location.

    SQLite tests each word as a substring, exactly like the in-memory reference (its LIKE folds
    ASCII letters only, so other letters match case-sensitively there).

    PostgreSQL uses the GIN-indexed ``search_vector`` instead, and so matches words, not substrings:
    each word is a prefix term ('word':*), so "ams" finds "Amsterdam" but "dam" does not, and
    punctuation is not searchable ("canal," finds "canal"). A whole word finds the same rows on
    both. Quoting each word keeps tsquery operators a guest types (& | ! : parentheses) from
    being read as syntax.
    """
    if not words:
        return []
    if postgres:
        quoted = ("'" + word.replace("\\", "\\\\").replace("'", "''") + "':*" for word in words)
        query = sa.func.to_tsquery(sa.literal_column("'simple'"), " & ".join(quoted))
        return [SEARCH_VECTOR.bool_op("@@")(query)]
    document = PropertyRow.title + " " + PropertyRow.description + " " + PropertyRow.location
    return [document.contains(word, autoescape=True) for word in words]


def _amenity_filters(amenities: list[str], postgres: bool) -> list[sa.ColumnElement[bool]]:
    """The listing has every one of ``amenities``."""
    if postgres:
        # jsonb containment, which the GIN index on amenities answers.
        return [PropertyRow.amenities.bool_op("@>")(sa.bindparam(None, amenities, type_=postgresql.JSONB))]
    filters: list[sa.ColumnElement[bool]] = []
    for amenity in amenities:
        listed = sa.func.json_each(PropertyRow.amenities).table_valued("value")
        filters.append(sa.exists().select_from(listed).where(listed.c.value == amenity))
    return filters


def _area_filters(area: Circle) -> list[sa.ColumnElement[bool]]:
    """``Circle.contains``, behind a bounding box that the position index can range-scan.

    The box is widened by a hair so that rounding never drops a point the exact test keeps; the
    exact test then repeats ``Circle.contains`` operation for operation, in IEEE doubles on both
    dialects, so SQL and Python agree even on the circle's edge.
    """
    lat_delta, lng_delta = area.lat_delta * (1 + 1e-9), area.lng_delta * (1 + 1e-9)
    dy = (PropertyRow.latitude - area.latitude) * KM_PER_DEGREE_LATITUDE
    dx = (PropertyRow.longitude - area.longitude) * area.lng_scale
    return [
        PropertyRow.latitude.between(area.latitude - lat_delta, area.latitude + lat_delta),
        PropertyRow.longitude.between(area.longitude - lng_delta, area.longitude + lng_delta),
        _square(dx) + _square(dy) <= area.radius_km * area.radius_km,
    ]


def _square(value: sa.ColumnElement[Any]) -> sa.ColumnElement[float]:
    # A high-precedence operator keeps the parentheses of (a * b) * (a * b), which SQLAlchemy would
    # otherwise drop, evaluating a * b * a * b with different rounding than Python's dx * dx.
    return value.op("*", precedence=100, return_type=sa.Double)(value)


class SqlAlchemyBookingRepository(_Repository):
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
        if self._postgres:
            calendar = sa.select(PropertyRow.id).where(PropertyRow.id == property_id)
            self._session.execute(calendar.with_for_update(key_share=True))  # FOR NO KEY UPDATE

    def expire_lapsed(
        self, now: datetime, *, property_id: uuid.UUID | None = None, overlapping: Stay | None = None
    ) -> list[Booking]:
        waiting = [BookingStatus.PENDING.value, BookingStatus.REQUESTED.value]
        query = sa.select(BookingRow).where(BookingRow.status.in_(waiting), BookingRow.hold_expires_at <= now)
        if property_id is not None:
            query = query.where(BookingRow.property_id == property_id)
        if overlapping is not None:
            query = query.where(
                BookingRow.check_in_date < overlapping.check_out, BookingRow.check_out_date > overlapping.check_in
            )
        lapsed = [_booking(row) for row in self._session.scalars(query.with_for_update())]
        for booking in lapsed:
            booking.expire(now)
            self.update(booking)
        # Written now, so the exclusion constraint no longer counts them when the new booking is inserted.
        self._session.flush()
        return lapsed

    def held_stays(
        self, property_ids: Collection[uuid.UUID], start: date, end: date, now: datetime
    ) -> dict[uuid.UUID, list[Stay]]:
        window = Stay(start, end)
        if not property_ids:
            return {}
        query = (
            sa.select(BookingRow.property_id, BookingRow.check_in_date, BookingRow.check_out_date)
            .where(BookingRow.property_id.in_(set(property_ids)), _overlaps(window, self._postgres), _holds_dates(now))
            .order_by(BookingRow.check_in_date, BookingRow.check_out_date)
        )
        held: dict[uuid.UUID, list[Stay]] = {}
        for property_id, check_in, check_out in self._session.execute(query):
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


class SqlAlchemyPaymentRepository(_Repository):
    def add(self, payment: Payment) -> None:
        self._insert(_to_row(PaymentRow, payment))

    def get_for_booking(self, booking_id: uuid.UUID) -> Payment | None:
        row = self._session.scalar(sa.select(PaymentRow).where(PaymentRow.booking_id == booking_id))
        return _payment(row) if row else None

    def get_many_for_bookings(self, booking_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Payment]:
        if not booking_ids:
            return {}
        query = sa.select(PaymentRow).where(PaymentRow.booking_id.in_(set(booking_ids)))
        return {row.booking_id: _payment(row) for row in self._session.scalars(query)}

    def update(self, payment: Payment) -> None:
        self._session.merge(_to_row(PaymentRow, payment))

    def held_for_inactive_bookings(self, *, limit: int) -> list[Payment]:
        query = (
            sa.select(PaymentRow)
            .join(BookingRow, BookingRow.id == PaymentRow.booking_id)
            .where(
                PaymentRow.payment_status == PaymentStatus.AUTHORIZED.value,
                BookingRow.status.not_in([status.value for status in ACTIVE_STATUSES]),
            )
            .order_by(PaymentRow.updated_at)
            .limit(limit)
        )
        return [_payment(row) for row in self._session.scalars(query)]

    def get_by_provider_id(self, provider: str, provider_payment_id: str) -> Payment | None:
        row = self._session.scalar(
            sa.select(PaymentRow).where(
                PaymentRow.provider == provider, PaymentRow.provider_payment_id == provider_payment_id
            )
        )
        return _payment(row) if row else None

    def unsettled(self, *, updated_before: datetime, limit: int) -> list[Payment]:
        in_flight = [PaymentStatus.PROCESSING.value, PaymentStatus.AUTHORIZED.value]
        movable = [*in_flight, *(status.value for status in CAPTURED_STATUSES)]
        query = (
            sa.select(PaymentRow)
            .where(PaymentRow.payment_status.in_(movable), PaymentRow.updated_at < updated_before)
            .order_by(PaymentRow.payment_status.not_in(in_flight), PaymentRow.updated_at)
            .limit(limit)
        )
        return [_payment(row) for row in self._session.scalars(query)]


class SqlAlchemyProcessedWebhookEventRepository(_Repository):
    def add(self, provider: str, event_id: str, at: datetime) -> bool:
        # ON CONFLICT DO NOTHING rather than catching the unique violation, which would end the transaction
        # on PostgreSQL; a concurrent insert of the same event makes this one wait for it, then skip.
        dialect = postgresql if self._postgres else sqlite
        inserted = self._session.execute(
            dialect.insert(ProcessedWebhookEventRow)
            .values(provider=provider, event_id=event_id, processed_at=at)
            .on_conflict_do_nothing(index_elements=["provider", "event_id"])
            .returning(ProcessedWebhookEventRow.event_id)
        )
        return inserted.first() is not None


class SqlAlchemyReviewRepository(_Repository):
    def add(self, review: Review) -> None:
        self._insert(_to_row(ReviewRow, review))

    def get_for_booking(self, booking_id: uuid.UUID) -> Review | None:
        row = self._session.scalar(sa.select(ReviewRow).where(ReviewRow.booking_id == booking_id))
        return _review(row) if row else None

    def get_many_for_bookings(self, booking_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Review]:
        if not booking_ids:
            return {}
        query = sa.select(ReviewRow).where(ReviewRow.booking_id.in_(set(booking_ids)))
        return {row.booking_id: _review(row) for row in self._session.scalars(query)}

    def reviewed(self, booking_ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
        if not booking_ids:
            return set()
        query = sa.select(ReviewRow.booking_id).where(ReviewRow.booking_id.in_(set(booking_ids)))
        return set(self._session.scalars(query))

    def list_for_property(
        self, property_id: uuid.UUID, *, limit: int, after: tuple[datetime, uuid.UUID] | None
    ) -> list[Review]:
        columns = (ReviewRow.created_at, ReviewRow.id)
        query = (
            sa.select(ReviewRow)
            .where(ReviewRow.property_id == property_id)
            .order_by(*(column.desc() for column in columns))
            .limit(limit)
        )
        if after is not None:
            query = query.where(_after(columns, after, rising=False))
        return [_review(row) for row in self._session.scalars(query)]

    def recent_for_properties(self, property_ids: Collection[uuid.UUID], limit: int) -> dict[uuid.UUID, list[Review]]:
        if not property_ids:
            return {}
        reviews = ReviewRow.__table__.c
        rank = sa.func.row_number().over(
            partition_by=reviews.property_id, order_by=(reviews.created_at.desc(), reviews.id.desc())
        )
        ranked = sa.select(*reviews, rank.label("rank")).where(reviews.property_id.in_(set(property_ids))).subquery()
        query = (
            sa.select(*(ranked.c[column.name] for column in reviews))
            .where(ranked.c.rank <= limit)
            .order_by(ranked.c.property_id, ranked.c.rank)
        )
        recent: dict[uuid.UUID, list[Review]] = {}
        for row in self._session.execute(query):
            recent.setdefault(row.property_id, []).append(_review(row))
        return recent


class SqlAlchemyOutboxRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def claim_unprocessed(self, limit: int) -> list[OutboxMessage]:
        # SKIP LOCKED lets several relays work side by side, each on rows no other has locked; SQLite,
        # which has one writer at a time, ignores the clause.
        rows = self._session.scalars(
            sa.select(OutboxRow)
            .where(OutboxRow.processed_at.is_(None))
            .order_by(OutboxRow.created_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [OutboxMessage(r.id, r.topic, dict(r.payload), r.created_at, r.processed_at) for r in rows]

    def mark_processed(self, message_ids: Collection[uuid.UUID], at: datetime) -> None:
        if message_ids:
            self._session.execute(
                sa.update(OutboxRow).where(OutboxRow.id.in_(list(message_ids))).values(processed_at=at)
            )
