"""What a guest searches for, and the orders results come in."""

from __future__ import annotations

import enum
import math
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from airbnb_core.domain.errors import FieldError, InvalidInput, raise_if_any
from airbnb_core.domain.pagination import BIGINT_MAX, decode_cursor, encode_cursor, parse_instant
from airbnb_core.domain.properties import CITY_MAX, GUESTS_MAX, PRICE_MAX
from airbnb_core.domain.stay import Stay
from airbnb_core.domain.text import clean_text

RADIUS_MAX_KM = 500.0
QUERY_MAX = 200
KM_PER_DEGREE_LATITUDE = 110.574
KM_PER_DEGREE_LONGITUDE_AT_EQUATOR = 111.320


class SearchSort(enum.StrEnum):
    PRICE_ASC = "price_asc"
    PRICE_DESC = "price_desc"
    RATING = "rating"
    NEWEST = "newest"


@dataclass(frozen=True, slots=True)
class Circle:
    """A search area. Distances use the equirectangular approximation, exact enough within 500 km."""

    latitude: float
    longitude: float
    radius_km: float

    @property
    def lat_delta(self) -> float:
        return self.radius_km / KM_PER_DEGREE_LATITUDE

    @property
    def lng_scale(self) -> float:
        """Kilometres per degree of longitude at the centre's latitude."""
        return KM_PER_DEGREE_LONGITUDE_AT_EQUATOR * max(math.cos(math.radians(self.latitude)), 1e-6)

    @property
    def lng_delta(self) -> float:
        return self.radius_km / self.lng_scale

    def contains(self, latitude: float, longitude: float) -> bool:
        dy = (latitude - self.latitude) * KM_PER_DEGREE_LATITUDE
        dx = (longitude - self.longitude) * self.lng_scale
        return dx * dx + dy * dy <= self.radius_km * self.radius_km


@dataclass(frozen=True, slots=True)
class SearchCriteria:
    city: str | None = None
    country: str | None = None
    text: str | None = None
    stay: Stay | None = None
    guests: int | None = None
    min_price: int | None = None
    max_price: int | None = None
    amenities: frozenset[str] = frozenset()
    instant_book: bool | None = None
    area: Circle | None = None
    sort: SearchSort = SearchSort.NEWEST

    def __post_init__(self) -> None:
        errors: list[FieldError] = []
        if self.guests is not None and not 1 <= self.guests <= GUESTS_MAX:
            errors.append(FieldError("guests", f"must be 1 to {GUESTS_MAX}"))
        for name in ("min_price", "max_price"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= PRICE_MAX:
                errors.append(FieldError(name, f"must be 0 to {PRICE_MAX} minor units"))
        if self.min_price is not None and self.max_price is not None and self.min_price > self.max_price:
            errors.append(FieldError("max_price", "must not be below min_price"))
        for name, value, max_length in (
            ("city", self.city, CITY_MAX),
            ("country", self.country, 2),
            ("q", self.text, QUERY_MAX),
        ):
            if value is not None:
                clean_text(value, name, errors, max_length=max_length, required=False)
        if self.area is not None:
            if not -90 <= self.area.latitude <= 90:
                errors.append(FieldError("lat", "must be between -90 and 90"))
            if not -180 <= self.area.longitude <= 180:
                errors.append(FieldError("lng", "must be between -180 and 180"))
            if not 0 < self.area.radius_km <= RADIUS_MAX_KM:
                errors.append(FieldError("radius_km", f"must be above 0 and at most {RADIUS_MAX_KM:g}"))
        raise_if_any(errors)

    @classmethod
    def from_parameters(
        cls,
        *,
        city: str | None = None,
        country: str | None = None,
        q: str | None = None,
        check_in: date | None = None,
        check_out: date | None = None,
        guests: int | None = None,
        min_price: int | None = None,
        max_price: int | None = None,
        amenities: Iterable[str] | None = None,
        instant_book: bool | None = None,
        lat: float | None = None,
        lng: float | None = None,
        radius_km: float | None = None,
        sort: SearchSort = SearchSort.NEWEST,
    ) -> SearchCriteria:
        """Criteria from a search's parameters one by one, as the web edges receive them.

        A stay needs both ``check_in`` and ``check_out``, an area all of ``lat``, ``lng`` and ``radius_km``;
        each partner left out is reported.
        """
        errors: list[FieldError] = []
        if check_in is not None and check_out is None:
            errors.append(FieldError("check_out", "is required with check_in"))
        if check_out is not None and check_in is None:
            errors.append(FieldError("check_in", "is required with check_out"))
        area = {"lat": lat, "lng": lng, "radius_km": radius_km}
        if any(value is not None for value in area.values()):
            errors.extend(
                FieldError(name, "lat, lng and radius_km go together") for name, v in area.items() if v is None
            )
        raise_if_any(errors)
        return cls(
            city=city,
            country=country,
            text=q,
            stay=Stay(check_in, check_out) if check_in is not None and check_out is not None else None,
            guests=guests,
            min_price=min_price,
            max_price=max_price,
            amenities=frozenset(amenities or ()),
            instant_book=instant_book,
            area=Circle(lat, lng, radius_km) if lat is not None and lng is not None and radius_km is not None else None,
            sort=sort,
        )


SortValue = int | Decimal | datetime


class Ranked(Protocol):
    """What a search orders by: a ``Property``, or a search result read straight from the database."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def price_per_night(self) -> int: ...
    @property
    def rating_avg(self) -> Decimal | float | None: ...
    @property
    def created_at(self) -> datetime: ...


def sort_value(place: Ranked, sort: SearchSort) -> SortValue:
    """The value ``sort`` orders by; ties are broken by id in the same direction."""
    if sort in (SearchSort.PRICE_ASC, SearchSort.PRICE_DESC):
        return place.price_per_night
    if sort is SearchSort.RATING:
        rating = place.rating_avg or 0
        # A read view carries the rating as the float it is sent as; str() gives back its two decimals.
        return rating if isinstance(rating, Decimal) else Decimal(str(rating))
    return place.created_at


def ascending(sort: SearchSort) -> bool:
    return sort is SearchSort.PRICE_ASC


def encode_position(place: Ranked, sort: SearchSort) -> str:
    value = sort_value(place, sort)
    return encode_cursor([sort.value, value.isoformat() if isinstance(value, datetime) else str(value), str(place.id)])


def decode_position(cursor: str, sort: SearchSort) -> tuple[SortValue, uuid.UUID]:
    """The (sort value, id) a page starts after; a cursor of another sort order is refused."""
    sort_name, raw, raw_id = decode_cursor(cursor, 3)
    try:
        if sort_name != sort.value:
            raise ValueError("cursor belongs to another sort order")
        value: SortValue
        if sort in (SearchSort.PRICE_ASC, SearchSort.PRICE_DESC):
            value = int(str(raw))
            if not 0 <= value <= BIGINT_MAX:
                raise ValueError("price out of range")
        elif sort is SearchSort.RATING:
            value = Decimal(str(raw))
            if not (value.is_finite() and 0 <= value <= 5):
                raise ValueError("rating out of range")
        else:
            value = parse_instant(raw)
        return value, uuid.UUID(str(raw_id))
    except (ValueError, ArithmeticError):
        raise InvalidInput.field("cursor", "is not a cursor of this search") from None
