"""Things that happened, told to guests and hosts through the notifier."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BookingEvent:
    booking_id: uuid.UUID
    guest_id: uuid.UUID
    host_id: uuid.UUID


class BookingRequested(BookingEvent): ...


class BookingConfirmed(BookingEvent): ...


class BookingDeclined(BookingEvent): ...


class BookingCancelled(BookingEvent): ...


class BookingExpired(BookingEvent): ...


class PaymentFailed(BookingEvent): ...
