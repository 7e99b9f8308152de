"""The public listing reads (anonymous listing pages and searches), on the read side's query port.

``Listings`` keeps everything that goes through the entities: the writes, and the reads a signed-in
host or administrator makes, which may see inactive listings and must see the primary database.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from airbnb_core.domain.errors import NotFound
from airbnb_core.domain.pagination import Page, check_limit
from airbnb_core.domain.properties import AMENITIES, Property
from airbnb_core.domain.search import SearchCriteria, SortValue, decode_position, encode_position
from airbnb_core.domain.users import User
from airbnb_core.ports.clock import Clock
from airbnb_core.ports.queries import CARD_FIELDS, HostProfile, ListingQueries, PropertyCard, PropertyView
from airbnb_core.ports.unit_of_work import UnitOfWork


class ListingReads:
    """Async: a database adapter answers on the event loop, with no worker thread per request."""

    def __init__(self, queries: ListingQueries, clock: Clock) -> None:
        self._queries = queries
        self._clock = clock

    async def details(self, property_id: uuid.UUID) -> PropertyView:
        """An active listing of an active host, with the host's public profile."""
        found = await self._queries.public_property(property_id)
        if found is None:
            raise NotFound("no such property")
        return found

    async def search(self, criteria: SearchCriteria, *, limit: int, cursor: str | None = None) -> Page[PropertyCard]:
        check_limit(limit)
        after = decode_position(cursor, criteria.sort) if cursor else None
        if not criteria.amenities <= AMENITIES:
            return Page([], None)  # no listing has an amenity outside the vocabulary
        found = await self._queries.search(criteria, after=after, limit=limit + 1, now=self._clock.now())
        return Page.from_overfetch(found, limit, lambda last: encode_position(last, criteria.sort))


class UnitOfWorkListingQueries:
    """The query port over any unit of work's repositories: the reference answer, and what the in-memory
    platform uses. It builds entities and copies them, so the database adapters answer the web instead."""

    def __init__(self, uow: Callable[[], UnitOfWork]) -> None:
        self._uow = uow

    async def public_property(self, property_id: uuid.UUID) -> PropertyView | None:
        with self._uow() as uow:
            place = uow.properties.get(property_id)
            host = uow.users.get(place.host_id) if place else None
        if place is None or host is None or not (place.is_active and host.is_active):
            return None
        return property_view(place, host)

    async def search(
        self, criteria: SearchCriteria, *, after: tuple[SortValue, uuid.UUID] | None, limit: int, now: datetime
    ) -> list[PropertyCard]:
        with self._uow() as uow:
            return [card(p) for p in uow.properties.search(criteria, after=after, limit=limit, now=now)]


def _fields(place: Property) -> dict[str, object]:
    values = {name: getattr(place, name) for name in CARD_FIELDS}
    values["amenities"] = list(place.amenities)
    values["cancellation_policy"] = place.cancellation_policy.value
    values["rating_avg"] = float(place.rating_avg) if place.rating_avg is not None else None
    return values


def card(place: Property) -> PropertyCard:
    return PropertyCard(**_fields(place))  # type: ignore[arg-type]


def property_view(place: Property, host: User) -> PropertyView:
    return PropertyView(
        **_fields(place),  # type: ignore[arg-type]
        description=place.description,
        location=place.location,
        is_active=place.is_active,
        updated_at=place.updated_at,
        host=HostProfile(host.id, host.name, host.is_host, host.created_at),
    )
