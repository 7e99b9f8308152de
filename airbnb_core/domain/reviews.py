"""Reviews a guest leaves after a confirmed stay."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from airbnb_core.domain.bookings import Booking, BookingStatus
from airbnb_core.domain.errors import Conflict, FieldError, Forbidden, InvalidInput
from airbnb_core.domain.text import clean_text
from airbnb_core.domain.users import User

COMMENT_MAX = 2000


def rating_average(total: int, count: int) -> Decimal | None:
    """The mean rating to the hundredth, half up (a ``NUMERIC(3, 2)`` column holds it), from the sum and
    the count of the ratings: computed from integers, so every database and process agrees on it."""
    if count == 0:
        return None
    return (Decimal(total) / count).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass(slots=True)
class Review:
    id: uuid.UUID
    booking_id: uuid.UUID
    user_id: uuid.UUID
    property_id: uuid.UUID
    rating: int
    comment: str
    created_at: datetime

    @classmethod
    def write(cls, *, author: User, booking: Booking, rating: int, comment: str, today: date, now: datetime) -> Review:
        """Review a stay: only its guest, only once it is confirmed and its check-out has passed."""
        if booking.user_id != author.id:
            raise Forbidden("only the guest of a booking may review it")
        if booking.status is not BookingStatus.CONFIRMED or booking.check_out_date > today:
            raise Conflict("a stay can be reviewed once it is confirmed and over", code="stay_not_over")
        errors: list[FieldError] = []
        if isinstance(rating, bool) or not 1 <= rating <= 5:
            errors.append(FieldError("rating", "must be an integer from 1 to 5"))
        comment = clean_text(comment, "comment", errors, max_length=COMMENT_MAX, required=False, multiline=True)
        if errors:
            raise InvalidInput.of(errors)
        return cls(uuid.uuid4(), booking.id, author.id, booking.property_id, rating, comment, now)
