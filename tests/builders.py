"""Valid entities in one call: every field has a plausible value, and a test names only those its assertions are about.

Changing ``created_at`` moves ``updated_at`` with it unless that is given too.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from airbnb_core.domain.bookings import Booking, BookingStatus
from airbnb_core.domain.properties import Property
from airbnb_core.domain.stay import Stay
from airbnb_core.domain.users import User

AT = datetime(2030, 1, 1, 12, tzinfo=UTC)


def a_user(**overrides: Any) -> User:
    """An active guest with a unique email."""
    user_id = overrides.pop("id", None) or uuid.uuid4()
    fields: dict[str, Any] = {
        "id": user_id,
        "name": "Ada Lovelace",
        "email": f"ada-{user_id.hex[:8]}@example.com",
        "password_hash": "scrypt$hash",
        "created_at": AT,
    }
    return User(**{**fields, **overrides})


def a_property(*, host: User | None = None, **overrides: Any) -> Property:
    """An active listing in Amsterdam, of ``host`` (else of a host id of its own)."""
    fields: dict[str, Any] = {
        "id": uuid.uuid4(),
        "host_id": host.id if host is not None else uuid.uuid4(),
        "title": "Loft by the canal",
        "description": "Bright, quiet, two minutes from the station.",
        "location": "12 Prinsengracht",
        "city": "Amsterdam",
        "country": "NL",
        "latitude": 52.37,
        "longitude": 4.89,
        "price_per_night": 12_500,
        "currency": "EUR",
        "max_guests": 4,
        **_timestamps(overrides),
    }
    return Property(**{**fields, **overrides})


def a_booking(
    *, guest: User | None = None, place: Property | None = None, stay: Stay | None = None, **overrides: Any
) -> Booking:
    """A confirmed three-night stay from 10 July 2030, of ``guest`` at ``place`` (else at ids of their own)."""
    stay = stay or Stay(date(2030, 7, 10), date(2030, 7, 13))
    fields: dict[str, Any] = {
        "id": uuid.uuid4(),
        "user_id": guest.id if guest is not None else uuid.uuid4(),
        "property_id": place.id if place is not None else uuid.uuid4(),
        "check_in_date": stay.check_in,
        "check_out_date": stay.check_out,
        "guests": 1,
        "status": BookingStatus.CONFIRMED,
        "nightly_subtotal": 30_000,
        "cleaning_fee": 0,
        "service_fee": 3_000,
        "total_price": 33_000,
        "currency": place.currency if place is not None else "EUR",
        "hold_expires_at": None,
        **_timestamps(overrides),
    }
    return Booking(**{**fields, **overrides})


def _timestamps(overrides: dict[str, Any]) -> dict[str, datetime]:
    created_at = overrides.get("created_at", AT)
    return {"created_at": created_at, "updated_at": overrides.get("updated_at", created_at)}
