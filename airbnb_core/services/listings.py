"""Listing use cases: hosts manage properties; anyone searches them and reads their calendars and reviews."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from airbnb_core.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from airbnb_core.domain.events import ListingChanged
from airbnb_core.domain.pagination import Page, check_limit, decode_time_key, time_key_of
from airbnb_core.domain.properties import AMENITIES, CancellationPolicy, Property
from airbnb_core.domain.reviews import Review
from airbnb_core.domain.search import SearchCriteria, decode_position, encode_position
from airbnb_core.domain.stay import Stay
from airbnb_core.domain.users import User
from airbnb_core.ports.clock import Clock
from airbnb_core.ports.unit_of_work import UnitOfWork

AVAILABILITY_WINDOW_MAX_DAYS = 366


@dataclass(frozen=True, slots=True)
class PropertyDraft:
    """Everything a host says about a new listing; the server sets ids, ratings and timestamps."""

    title: str
    location: str
    city: str
    country: str
    latitude: float
    longitude: float
    price_per_night: int
    currency: str
    max_guests: int
    description: str = ""
    timezone: str = "UTC"
    cleaning_fee: int = 0
    weekly_discount_percent: int = 0
    min_nights: int = 1
    max_nights: int = 365
    instant_book: bool = False
    cancellation_policy: str = CancellationPolicy.FLEXIBLE.value
    amenities: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PropertyChanges:
    """A partial update: ``None`` leaves a field as it is."""

    title: str | None = None
    description: str | None = None
    location: str | None = None
    city: str | None = None
    country: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    timezone: str | None = None
    price_per_night: int | None = None
    currency: str | None = None
    cleaning_fee: int | None = None
    weekly_discount_percent: int | None = None
    max_guests: int | None = None
    min_nights: int | None = None
    max_nights: int | None = None
    instant_book: bool | None = None
    cancellation_policy: str | None = None
    amenities: tuple[str, ...] | None = None
    is_active: bool | None = None


@dataclass(frozen=True, slots=True)
class PropertyDetails:
    place: Property
    host: User


@dataclass(frozen=True, slots=True)
class ReviewWithAuthor:
    review: Review
    author: User | None  # None once the author's account is gone


def _policy(value: str) -> CancellationPolicy:
    try:
        return CancellationPolicy(value)
    except ValueError:
        allowed = ", ".join(p.value for p in CancellationPolicy)
        raise InvalidInput.field("cancellation_policy", f"must be one of {allowed}") from None


def _normalized_amenities(amenities: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(set(amenities)))


class Listings:
    """``reads`` opens the units of work of the public read side (search, anonymous property pages, calendars,
    review lists), which may go to a read replica; every write, and every read a write makes, uses ``uow``.

    A second factory rather than a read-only flag any use case could set: the read side is these few public
    reads, whose answers are cached and may be a little old anyway, while everything else (a booking's overlap
    check, a login, what a host reads back after a change) must see the primary, and does by default.
    Without ``reads`` both are the same.
    """

    def __init__(
        self, uow: Callable[[], UnitOfWork], clock: Clock, *, reads: Callable[[], UnitOfWork] | None = None
    ) -> None:
        self._uow = uow
        self._reads = reads or uow
        self._clock = clock

    def create(self, actor: User, draft: PropertyDraft) -> Property:
        if not actor.is_host and not actor.is_admin:
            raise Forbidden("become a host before listing a property", code="not_a_host")
        now = self._clock.now()
        fields = dataclasses.asdict(draft)
        fields["cancellation_policy"] = _policy(draft.cancellation_policy)
        fields["amenities"] = _normalized_amenities(draft.amenities)
        fields["country"] = draft.country.upper()
        place = Property(id=uuid.uuid4(), host_id=actor.id, created_at=now, updated_at=now, **fields)
        place.validate()
        with self._uow() as uow:
            uow.properties.add(place)
            uow.record(ListingChanged(place.id))
            uow.commit()
        return place

    def update(self, actor: User, property_id: uuid.UUID, changes: PropertyChanges) -> Property:
        now = self._clock.now()
        with self._uow() as uow:
            place = self._owned(uow, actor, property_id)
            if changes.is_active is False and place.is_active:
                _refuse_if_booked(uow, place, now)
            for name, value in dataclasses.asdict(changes).items():
                if value is None:
                    continue
                if name == "cancellation_policy":
                    value = _policy(value)
                elif name == "amenities":
                    value = _normalized_amenities(value)
                elif name == "country":
                    value = value.upper()
                setattr(place, name, value)
            place.validate()
            place.updated_at = now
            uow.properties.update(place)
            uow.record(ListingChanged(place.id))
            uow.commit()
        return place

    def deactivate(self, actor: User, property_id: uuid.UUID) -> None:
        """Take a listing down; refused while it has current or future bookings."""
        now = self._clock.now()
        with self._uow() as uow:
            place = self._owned(uow, actor, property_id)
            _refuse_if_booked(uow, place, now)
            place.is_active = False
            place.updated_at = now
            uow.properties.update(place)
            uow.record(ListingChanged(place.id))
            uow.commit()

    def details(self, property_id: uuid.UUID, viewer: User | None = None) -> PropertyDetails:
        """A listing with its host. Inactive listings are visible only to their host and administrators."""
        # A signed-in viewer may be the host reading back the change just made: the primary has it, a
        # replica may not yet. Anonymous pages are the public, cached read side.
        with (self._uow if viewer is not None else self._reads)() as uow:
            return _visible(uow, property_id, viewer)

    def search(self, criteria: SearchCriteria, *, limit: int, cursor: str | None = None) -> Page[Property]:
        check_limit(limit)
        after = decode_position(cursor, criteria.sort) if cursor else None
        if not criteria.amenities <= AMENITIES:
            return Page([], None)  # no listing has an amenity outside the vocabulary
        with self._reads() as uow:
            found = uow.properties.search(criteria, after=after, limit=limit + 1, now=self._clock.now())
        return Page.from_overfetch(found, limit, lambda last: encode_position(last, criteria.sort))

    def availability(self, property_id: uuid.UUID, start: date | None = None, end: date | None = None) -> list[Stay]:
        """Held stays overlapping ``[start, end)``, clipped to it and merged where they touch."""
        start = start or self._clock.now().date()
        # Near the end of the calendar the default window stops at its last day instead of overflowing.
        end = end or start + min(timedelta(days=AVAILABILITY_WINDOW_MAX_DAYS), date.max - start)
        check_window(start, end)
        with self._reads() as uow:
            _visible(uow, property_id)
            held = uow.bookings.held_stays([property_id], start, end, self._clock.now())
        return _merge_clipped(held.get(property_id, []), start, end)

    def availability_of(
        self, property_ids: Collection[uuid.UUID], start: date, end: date
    ) -> dict[uuid.UUID, list[Stay]]:
        check_window(start, end)
        with self._reads() as uow:
            held = uow.bookings.held_stays(property_ids, start, end, self._clock.now())
        return {pid: _merge_clipped(held.get(pid, []), start, end) for pid in property_ids}

    def reviews(self, property_id: uuid.UUID, *, limit: int, cursor: str | None = None) -> Page[ReviewWithAuthor]:
        check_limit(limit)
        after = decode_time_key(cursor) if cursor else None
        with self._reads() as uow:
            _visible(uow, property_id)
            page = Page.from_overfetch(
                uow.reviews.list_for_property(property_id, limit=limit + 1, after=after), limit, time_key_of
            )
            authors = uow.users.get_many({r.user_id for r in page.items})
        return page.map(lambda r: ReviewWithAuthor(r, authors.get(r.user_id)))

    def users(self, user_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, User]:
        """Many users at once, for batching (GraphQL DataLoaders)."""
        with self._uow() as uow:
            return uow.users.get_many(user_ids)

    def properties(self, property_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Property]:
        """Many properties at once, active or not, for batching the property of bookings the caller may see."""
        with self._uow() as uow:
            return uow.properties.get_many(property_ids)

    def recent_reviews(self, property_ids: Collection[uuid.UUID], limit: int) -> dict[uuid.UUID, list[Review]]:
        check_limit(limit)
        with self._reads() as uow:
            return uow.reviews.recent_for_properties(property_ids, limit)

    def _owned(self, uow: UnitOfWork, actor: User, property_id: uuid.UUID) -> Property:
        place = uow.properties.get(property_id)
        if place is None:
            raise NotFound("no such property")
        if not _may_manage(actor, place):
            raise Forbidden("only the property's host may change it")
        return place


def _visible(uow: UnitOfWork, property_id: uuid.UUID, viewer: User | None = None) -> PropertyDetails:
    """A listing with its host. Inactive listings are visible only to their host and administrators."""
    place = uow.properties.get(property_id)
    host = uow.users.get(place.host_id) if place else None
    if place is None or host is None or not ((place.is_active and host.is_active) or _may_manage(viewer, place)):
        raise NotFound("no such property")
    return PropertyDetails(place, host)


def _refuse_if_booked(uow: UnitOfWork, place: Property, now: datetime) -> None:
    if uow.bookings.holds_dates_from(place.id, place.today(now), now):
        raise Conflict("this property has current or upcoming bookings", code="has_upcoming_bookings")


def _may_manage(actor: User | None, place: Property) -> bool:
    return actor is not None and (actor.is_admin or actor.id == place.host_id)


def check_window(start: date, end: date) -> None:
    if end <= start:
        raise InvalidInput.field("end", "must be after start")
    if (end - start).days > AVAILABILITY_WINDOW_MAX_DAYS:
        raise InvalidInput.field("end", f"the window may span at most {AVAILABILITY_WINDOW_MAX_DAYS} days")


def _merge_clipped(stays: list[Stay], start: date, end: date) -> list[Stay]:
    merged: list[Stay] = []
    for stay in sorted(stays, key=lambda s: s.check_in):
        clipped = Stay(max(stay.check_in, start), min(stay.check_out, end))
        if merged and merged[-1].check_out >= clipped.check_in:
            last = merged.pop()
            clipped = Stay(last.check_in, max(last.check_out, clipped.check_out))
        merged.append(clipped)
    return merged
