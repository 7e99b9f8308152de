"""Properties and their search."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterator
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from adapters.persistence.models import (
    SEARCH_VECTOR,
    BookingRow,
    PropertyRow,
    ReviewRow,
    UserRow,
)
from adapters.persistence.repositories._common import (
    _after,
    _Repository,
    _to_entity,
    _to_row,
)
from adapters.persistence.repositories.bookings import _holds_dates, _overlaps
from airbnb_core.domain.properties import CancellationPolicy, Property
from airbnb_core.domain.reviews import rating_average
from airbnb_core.domain.search import KM_PER_DEGREE_LATITUDE, Circle, SearchCriteria, SearchSort, SortValue, ascending


def _property(row: PropertyRow | sa.Row[Any]) -> Property:
    return _to_entity(row, Property, cancellation_policy=CancellationPolicy, amenities=tuple)


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
