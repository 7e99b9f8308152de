"""The guest's review of a stay, and the property's rating it moves."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection

from airbnb_core.domain.errors import Conflict
from airbnb_core.domain.events import ListingChanged
from airbnb_core.domain.reviews import Review
from airbnb_core.domain.users import User
from airbnb_core.ports.clock import Clock
from airbnb_core.ports.unit_of_work import UnitOfWork
from airbnb_core.services.access import visible, visible_ids


class Reviews:
    def __init__(self, uow: Callable[[], UnitOfWork], clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def write(self, author: User, booking_id: uuid.UUID, *, rating: int, comment: str) -> Review:
        """Review a confirmed stay whose check-out has passed where the property is, once (409 again).

        The property's ``rating_avg`` and ``review_count`` change in the same transaction.
        """
        now = self._clock.now()
        with self._uow() as uow:
            booking, place = visible(uow, author, booking_id)
            review = Review.write(
                author=author, booking=booking, rating=rating, comment=comment, today=place.today(now), now=now
            )
            if uow.reviews.get_for_booking(booking.id) is not None:  # the unique key would refuse it at commit too
                raise Conflict("this stay has already been reviewed", code="already_reviewed")
            uow.reviews.add(review)
            uow.properties.refresh_rating(place.id)
            uow.record(ListingChanged(place.id))
            uow.commit()
        return review

    def of_bookings(self, viewer: User, booking_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Review]:
        """By booking id, the reviews of those bookings the viewer may see that have one, in a few queries
        whatever their number: for batching (GraphQL DataLoaders)."""
        with self._uow() as uow:
            return uow.reviews.get_many_for_bookings(visible_ids(uow, viewer, booking_ids))
