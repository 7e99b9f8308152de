"""Batch loading for the nested fields of a request, so a page costs the same few queries at any size.

Execution is synchronous, so a loader cannot wait for sibling fields to ask before it fetches.
It does not need to: resolvers announce every property and booking they return, and the first ``host``,
``reviews`` or ``availability`` asked for fetches it for all the properties announced so far (the first
``payment`` or ``review`` for all the bookings), in one use-case call. Later items of the page find their
value cached.

A booking's payment and review are fetched as the caller, and the core answers only for the bookings the
caller may see: a key announced by mistake could not leak another member's payment.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping
from datetime import date
from typing import Generic, TypeVar

from airbnb_core.domain.bookings import Booking
from airbnb_core.domain.payments import Payment
from airbnb_core.domain.properties import Property
from airbnb_core.domain.reviews import Review
from airbnb_core.domain.stay import Stay
from airbnb_core.domain.users import User
from airbnb_core.services import Services

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BatchLoader(Generic[K, V]):
    """Values by key, fetched together: a miss fetches its key with every expected key not yet loaded."""

    def __init__(self, fetch: Callable[[Collection[K]], Mapping[K, V]], expected: set[K]) -> None:
        self._fetch = fetch
        self._expected = expected  # shared and growing: the keys this request will probably ask for
        self._loaded: dict[K, V | None] = {}

    def load(self, key: K) -> V | None:
        if key not in self._loaded:
            wanted = {k for k in self._expected if k not in self._loaded} | {key}
            found = self._fetch(wanted)
            self._loaded.update((k, found.get(k)) for k in wanted)
        return self._loaded[key]

    def prime(self, key: K, value: V) -> None:
        self._loaded.setdefault(key, value)

    def forget(self, key: K) -> None:
        self._loaded.pop(key, None)


class Loaders:
    """The batch loaders of one request."""

    def __init__(self, services: Services, viewer: Callable[[], User]) -> None:
        self._listings = services.listings
        self._properties: set[uuid.UUID] = set()
        self._users: set[uuid.UUID] = set()
        self.users: BatchLoader[uuid.UUID, User] = BatchLoader(self._listings.users, self._users)
        self._booked: set[uuid.UUID] = set()
        self.properties: BatchLoader[uuid.UUID, Property] = BatchLoader(self._fetch_properties, self._booked)
        self._reviews: dict[int, BatchLoader[uuid.UUID, list[Review]]] = {}
        self._calendars: dict[tuple[date, date], BatchLoader[uuid.UUID, list[Stay]]] = {}
        self._bookings: set[uuid.UUID] = set()
        # Called only when a payment or review is asked for: an anonymous request never gets there, as
        # every booking a resolver returns was found for an authenticated caller.
        self.payments: BatchLoader[uuid.UUID, Payment] = BatchLoader(
            lambda booking_ids: services.payments.payments_of(viewer(), booking_ids), self._bookings
        )
        self.booking_reviews: BatchLoader[uuid.UUID, Review] = BatchLoader(
            lambda booking_ids: services.reviews.of_bookings(viewer(), booking_ids), self._bookings
        )

    def returned(self, places: Iterable[Property]) -> None:
        """Announce properties the request returns: their nested fields will be loaded together."""
        for place in places:
            self._properties.add(place.id)
            self._users.add(place.host_id)

    def booked(self, bookings: Iterable[Booking]) -> None:
        """Announce bookings the request returns: their properties, guests, payments and reviews will be loaded
        together."""
        for booking in bookings:
            self._bookings.add(booking.id)
            self._booked.add(booking.property_id)
            self._users.add(booking.user_id)

    def refreshed(self, booking: Booking) -> None:
        """Announce a booking a mutation or a lookup returns; its payment and review are fetched again.

        Mutations of one request run one after another: a payment an earlier one showed may have been
        captured or refunded since.
        """
        self.booked([booking])
        self.payments.forget(booking.id)
        self.booking_reviews.forget(booking.id)

    def _fetch_properties(self, property_ids: Collection[uuid.UUID]) -> Mapping[uuid.UUID, Property]:
        found = self._listings.properties(property_ids)
        self.returned(found.values())  # their hosts, reviews and calendars load together too
        return found

    def recent_reviews(self, limit: int) -> BatchLoader[uuid.UUID, list[Review]]:
        if limit not in self._reviews:

            def fetch(property_ids: Collection[uuid.UUID]) -> Mapping[uuid.UUID, list[Review]]:
                found = self._listings.recent_reviews(property_ids, limit)
                self._users.update(review.user_id for reviews in found.values() for review in reviews)
                return found

            self._reviews[limit] = BatchLoader(fetch, self._properties)
        return self._reviews[limit]

    def availability(self, start: date, end: date) -> BatchLoader[uuid.UUID, list[Stay]]:
        window = (start, end)
        if window not in self._calendars:

            def fetch(property_ids: Collection[uuid.UUID]) -> Mapping[uuid.UUID, list[Stay]]:
                return self._listings.availability_of(property_ids, start, end)

            self._calendars[window] = BatchLoader(fetch, self._properties)
        return self._calendars[window]
