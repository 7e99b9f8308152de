"""The public read side: what a listing page and a search result show, and the port that reads them.

These reads bypass the domain model (cosmicpython's CQRS chapter): a search result or an anonymous
listing page decides nothing, so building ``Property`` entities only to copy their fields into a
response would be pure cost on the busiest endpoints. The views hold exactly what the responses
show, in the responses' field order, and the web edges encode them as they are. Writes, and every
read a write makes, keep going through the entities and the unit of work.

The views are plain (not frozen) slotted dataclasses: built once per row on the hot path, where a
frozen dataclass's ``object.__setattr__`` per field would double the cost of building them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from airbnb_core.domain.search import SearchCriteria, SortValue


@dataclass(slots=True)
class PropertyCard:
    """A search result."""

    id: uuid.UUID
    host_id: uuid.UUID
    title: str
    city: str
    country: str
    latitude: float
    longitude: float
    timezone: str
    price_per_night: int
    currency: str
    cleaning_fee: int
    weekly_discount_percent: int
    max_guests: int
    min_nights: int
    max_nights: int
    instant_book: bool
    cancellation_policy: str
    amenities: list[str]
    rating_avg: float | None
    review_count: int
    created_at: datetime


CARD_FIELDS = tuple(PropertyCard.__dataclass_fields__)


@dataclass(slots=True)
class HostProfile:
    """What anyone may see of a listing's host: never the email."""

    id: uuid.UUID
    name: str
    is_host: bool
    created_at: datetime


HOST_FIELDS = tuple(HostProfile.__dataclass_fields__)


@dataclass(slots=True)
class PropertyView(PropertyCard):
    """A public listing page: the card's fields, the full text and the host's public profile."""

    description: str
    location: str
    is_active: bool
    updated_at: datetime
    host: HostProfile


PAGE_FIELDS = tuple(name for name in PropertyView.__dataclass_fields__ if name != "host")


class ListingQueries(Protocol):
    """Reads of the public listing pages; a database adapter answers each with one statement."""

    async def public_property(self, property_id: uuid.UUID) -> PropertyView | None:
        """The listing if it and its host are active, else None."""

    async def search(
        self, criteria: SearchCriteria, *, after: tuple[SortValue, uuid.UUID] | None, limit: int, now: datetime
    ) -> list[PropertyCard]:
        """Active listings of active hosts matching ``criteria``, in its order, after ``after``, at most ``limit``;
        with a stay, only those free for it at ``now`` (the same rules as ``PropertyRepository.search``)."""
