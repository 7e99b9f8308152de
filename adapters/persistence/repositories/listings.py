"""Properties and their search."""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Collection, Iterator
from dataclasses import dataclass
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
    _parameter,
    _Repository,
    _to_entity,
    _to_row,
)
from adapters.persistence.repositories.bookings import _holds_dates, _overlaps
from airbnb_core.domain.properties import CancellationPolicy, Property
from airbnb_core.domain.reviews import rating_average
from airbnb_core.domain.search import KM_PER_DEGREE_LATITUDE, SearchCriteria, SearchSort, SortValue, ascending


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
        """One Core query: each filter, the sort and the page limit run in the database (``search_statement``)."""
        shape = SearchShape.of(criteria, after=after is not None, limit=limit, postgres=self._postgres)
        query = search_statement(shape, ENTITY_COLUMNS)
        parameters = search_parameters(criteria, after, now, postgres=self._postgres)
        # Core rows straight from the connection: the ORM session's execute adds nothing here but cost.
        return [_property(row) for row in self._session.connection().execute(query, parameters)]


ENTITY_COLUMNS: tuple[sa.ColumnElement[Any], ...] = tuple(PropertyRow.__table__.columns)


@dataclass(frozen=True, slots=True)
class SearchShape:
    """Which filters a search has, and how it is ordered and cut: everything its SQL text depends on.

    A search's statement is built once per shape and dialect with named parameters (``search_statement``),
    and each search only computes its parameters (``search_parameters``): building the expression and its
    cache key on every request was the largest share of a search's Python time.
    """

    postgres: bool
    sort: SearchSort
    after: bool
    limit: int  # inlined, not bound: PostgreSQL plans a LIMIT it knows
    city: bool = False
    country: bool = False
    words: int = 0
    guests: bool = False
    stay: bool = False
    min_price: bool = False
    max_price: bool = False
    amenities: int = 0
    instant_book: bool = False
    area: bool = False

    @classmethod
    def of(cls, c: SearchCriteria, *, after: bool, limit: int, postgres: bool) -> SearchShape:
        return cls(
            postgres=postgres,
            sort=c.sort,
            after=after,
            limit=limit,
            city=c.city is not None,
            country=c.country is not None,
            words=len(_words(c)),
            guests=c.guests is not None,
            stay=c.stay is not None,
            min_price=c.min_price is not None,
            max_price=c.max_price is not None,
            amenities=len(c.amenities),
            instant_book=c.instant_book is not None,
            area=c.area is not None,
        )


@functools.lru_cache(maxsize=1024)
def search_statement(shape: SearchShape, columns: tuple[sa.ColumnElement[Any], ...]) -> sa.Select[Any]:
    """The search's statement for ``shape``, selecting ``columns``; ``search_parameters`` gives its parameters.

    Migration 0002 has an index for each main shape of this query, already in its sort order.
    Text matching differs by dialect, see ``_text_filters``.
    """
    keys = (_sort_key(shape.sort), PropertyRow.id)
    rising = ascending(shape.sort)
    query = (
        sa.select(*columns)
        .select_from(PropertyRow)
        .join(UserRow, UserRow.id == PropertyRow.host_id)
        .where(PropertyRow.is_active, UserRow.is_active, *_search_filters(shape))
        .order_by(*(key if rising else key.desc() for key in keys))
        .limit(sa.literal(shape.limit, literal_execute=True))
    )
    if shape.after:
        bound = (_parameter("after_key", type_=keys[0].type), _parameter("after_id", type_=PropertyRow.id.type))
        start = sa.tuple_(*bound)
        query = query.where(sa.tuple_(*keys) > start if rising else sa.tuple_(*keys) < start)
    return query


def search_parameters(
    c: SearchCriteria, after: tuple[SortValue, uuid.UUID] | None, now: datetime, *, postgres: bool
) -> dict[str, Any]:
    """The values of ``search_statement``'s parameters for these criteria."""
    values: dict[str, Any] = {}
    if after is not None:
        values["after_key"], values["after_id"] = after
    if c.city is not None:
        values["city"] = c.city
    if c.country is not None:
        values["country"] = c.country.upper()
    words = _words(c)
    if words and postgres:
        # Each word a quoted prefix term ('word':*): tsquery operators a guest types stay plain text.
        values["tsquery"] = " & ".join("'" + w.replace("\\", "\\\\").replace("'", "''") + "':*" for w in words)
    for index, word in enumerate(words if not postgres else ()):
        values[f"word_{index}"] = word.replace("/", "//").replace("%", "/%").replace("_", "/_")
    if c.guests is not None:
        values["guests"] = c.guests
    if c.stay is not None:
        values.update(nights=c.stay.nights, check_in=c.stay.check_in, check_out=c.stay.check_out, now=now)
    if c.min_price is not None:
        values["min_price"] = c.min_price
    if c.max_price is not None:
        values["max_price"] = c.max_price
    if c.amenities and postgres:
        values["amenities"] = json.dumps(sorted(c.amenities))
    for index, amenity in enumerate(sorted(c.amenities) if not postgres else ()):
        values[f"amenity_{index}"] = amenity
    if c.instant_book is not None:
        values["instant_book"] = c.instant_book
    if (area := c.area) is not None:
        # The box is widened by a hair so that rounding never drops a point the exact test keeps.
        lat_delta, lng_delta = area.lat_delta * (1 + 1e-9), area.lng_delta * (1 + 1e-9)
        values.update(
            lat=area.latitude,
            lng=area.longitude,
            lat_low=area.latitude - lat_delta,
            lat_high=area.latitude + lat_delta,
            lng_low=area.longitude - lng_delta,
            lng_high=area.longitude + lng_delta,
            lng_scale=area.lng_scale,
            radius_squared=area.radius_km * area.radius_km,
        )
    return values


def _words(c: SearchCriteria) -> list[str]:
    return c.text.lower().split() if c.text else []


def _sort_key(sort: SearchSort) -> sa.ColumnElement[Any]:
    """The column ``airbnb_core.domain.search.sort_value`` orders by; ties go by id in the same direction."""
    if sort in (SearchSort.PRICE_ASC, SearchSort.PRICE_DESC):
        return PropertyRow.price_per_night.expression
    if sort is SearchSort.RATING:
        # Spelled exactly as the ix_properties_active_rating expression, literal 0 included.
        return sa.func.coalesce(PropertyRow.rating_avg, sa.literal_column("0"))
    return PropertyRow.created_at.expression


def _search_filters(shape: SearchShape) -> Iterator[sa.ColumnElement[bool]]:
    """The reference filters of ``airbnb_core.inmemory.store._matches``, in SQL, with named parameters."""
    place, postgres = PropertyRow, shape.postgres
    if shape.city:
        yield sa.func.lower(place.city) == sa.func.lower(_parameter("city", type_=sa.String))
    if shape.country:
        yield place.country == _parameter("country", type_=sa.String)
    if shape.words:
        yield from _text_filters(shape.words, postgres)
    if shape.guests:
        yield place.max_guests >= _parameter("guests", type_=sa.Integer)
    if shape.stay:
        nights = _parameter("nights", type_=sa.Integer)
        yield place.min_nights <= nights
        yield place.max_nights >= nights
        check_in, check_out = _parameter("check_in", type_=sa.Date), _parameter("check_out", type_=sa.Date)
        now = _parameter("now", type_=BookingRow.hold_expires_at.type)
        yield ~sa.exists().where(
            BookingRow.property_id == place.id, _overlaps(check_in, check_out, postgres), _holds_dates(now)
        )
    if shape.min_price:
        yield place.price_per_night >= _parameter("min_price", type_=sa.BigInteger)
    if shape.max_price:
        yield place.price_per_night <= _parameter("max_price", type_=sa.BigInteger)
    if shape.amenities:
        yield from _amenity_filters(shape.amenities, postgres)
    if shape.instant_book:
        yield place.instant_book == _parameter("instant_book", type_=sa.Boolean)
    if shape.area:
        yield from _area_filters()


def _text_filters(words: int, postgres: bool) -> list[sa.ColumnElement[bool]]:
    """Every word must occur in the title, description or location.

    SQLite tests each word as a substring, exactly like the in-memory reference (its LIKE folds
    ASCII letters only, so other letters match case-sensitively there).

    PostgreSQL uses the GIN-indexed ``search_vector`` instead, and so matches words, not substrings:
    each word is a prefix term ('word':*), so "ams" finds "Amsterdam" but "dam" does not, and
    punctuation is not searchable ("canal," finds "canal"). A whole word finds the same rows on
    both. Quoting each word keeps tsquery operators a guest types (& | ! : parentheses) from
    being read as syntax.
    """
    if postgres:
        query = sa.func.to_tsquery(sa.literal_column("'simple'"), _parameter("tsquery", type_=sa.String))
        return [SEARCH_VECTOR.bool_op("@@")(query)]
    document = PropertyRow.title + " " + PropertyRow.description + " " + PropertyRow.location
    return [document.contains(_parameter(f"word_{i}", type_=sa.String), escape="/") for i in range(words)]


def _amenity_filters(count: int, postgres: bool) -> list[sa.ColumnElement[bool]]:
    """The listing has every one of the amenities."""
    if postgres:
        # jsonb containment, which the GIN index on amenities answers.
        wanted = sa.cast(_parameter("amenities", type_=sa.String), postgresql.JSONB)
        return [PropertyRow.amenities.bool_op("@>")(wanted)]
    filters: list[sa.ColumnElement[bool]] = []
    for index in range(count):
        listed = sa.func.json_each(PropertyRow.amenities).table_valued("value")
        filters.append(sa.exists().select_from(listed).where(listed.c.value == _parameter(f"amenity_{index}")))
    return filters


def _area_filters() -> list[sa.ColumnElement[bool]]:
    """``Circle.contains``, behind a bounding box that the position index can range-scan.

    The exact test repeats ``Circle.contains`` operation for operation, in IEEE doubles on both
    dialects, so SQL and Python agree even on the circle's edge.
    """

    def number(name: str) -> sa.BindParameter[float]:
        return _parameter(name, type_=sa.Double)

    dy = (PropertyRow.latitude - number("lat")) * sa.literal_column(repr(KM_PER_DEGREE_LATITUDE), sa.Double)
    dx = (PropertyRow.longitude - number("lng")) * number("lng_scale")
    return [
        PropertyRow.latitude.between(number("lat_low"), number("lat_high")),
        PropertyRow.longitude.between(number("lng_low"), number("lng_high")),
        _square(dx) + _square(dy) <= number("radius_squared"),
    ]


def _square(value: sa.ColumnElement[Any]) -> sa.ColumnElement[float]:
    # A high-precedence operator keeps the parentheses of (a * b) * (a * b), which SQLAlchemy would
    # otherwise drop, evaluating a * b * a * b with different rounding than Python's dx * dx.
    return value.op("*", precedence=100, return_type=sa.Double)(value)
