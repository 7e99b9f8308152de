"""The guest's review of a stay, and the property's rating it moves."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from airbnb_core.domain.errors import Conflict
from airbnb_core.domain.events import ListingChanged
from airbnb_core.domain.reviews import Review
from airbnb_core.domain.users import User
from airbnb_core.ports.clock import Clock
from airbnb_core.ports.unit_of_work import UnitOfWork
from airbnb_core.services.access import visible


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
