"""Things that happened, in the past tense.

A use case records the events of its change in its unit of work; committing writes them to the outbox
in the same transaction and then hands them to the after-commit handlers (see ``ports.unit_of_work``).
"""

from __future__ import annotations

import dataclasses
import enum
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Self

JsonValue = str | int | float | bool | None


if TYPE_CHECKING:
    from airbnb_core.domain.bookings import Booking


@dataclass(frozen=True, slots=True)
class Event:
    """The base of every domain event: a frozen dataclass of ids, dates and plain values."""


@dataclass(frozen=True, slots=True)
class ListingChanged(Event):
    """A listing was created, changed or taken down."""

    property_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class ProfileChanged(Event):
    """What others see of a user (name, hosting) changed."""

    user_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class UserDeactivated(Event):
    """An administrator deactivated an account: its profile and its listings are no longer shown."""

    user_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class BookingEvent(Event):
    """Told to the guest and the host through the notifier."""

    booking_id: uuid.UUID
    property_id: uuid.UUID
    guest_id: uuid.UUID
    host_id: uuid.UUID

    @classmethod
    def of(cls, booking: Booking, host_id: uuid.UUID) -> Self:
        return cls(booking.id, booking.property_id, booking.user_id, host_id)


@dataclass(frozen=True, slots=True)
class DatesHeld(Event):
    """A new booking holds nights of a property (no one is told: a hold becomes news once it is paid)."""

    booking_id: uuid.UUID
    property_id: uuid.UUID


class BookingRequested(BookingEvent): ...


class BookingConfirmed(BookingEvent): ...


class BookingDeclined(BookingEvent): ...


class BookingCancelled(BookingEvent): ...


class BookingExpired(BookingEvent): ...


class PaymentFailed(BookingEvent): ...


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """An event as the outbox keeps it until it is relayed: its type's name and its fields as JSON values."""

    id: uuid.UUID
    topic: str
    payload: dict[str, JsonValue]
    created_at: datetime
    processed_at: datetime | None = None

    @classmethod
    def of(cls, event: Event, now: datetime) -> OutboxMessage:
        payload = {f.name: _json_value(getattr(event, f.name)) for f in dataclasses.fields(event)}
        return cls(uuid.uuid4(), type(event).__name__, payload, now)


def _json_value(value: object) -> JsonValue:
    """Ids and decimals as strings, dates and instants in ISO 8601, enums as their values."""
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, date):  # datetimes too
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"an event field holds {type(value).__name__}, which the outbox cannot store as JSON")
