"""What a booking event tells its guest and its host, as messages ready for any delivery channel."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from typing import Literal

from airbnb_core.domain.bookings import Booking
from airbnb_core.domain.events import JsonValue
from airbnb_core.domain.properties import Property
from airbnb_core.domain.users import User

Recipient = Literal["guest", "host"]

# By outbox topic (the event's class name): the subject and the news, for the guest and for the host.
_NEWS: dict[str, tuple[str, str, str]] = {
    "BookingRequested": (
        "Booking request for {title}",
        "Your request to stay at {title} was sent to the host.",
        "{guest} asks to stay at {title}; accept or decline it before the request lapses.",
    ),
    "BookingConfirmed": (
        "Booking confirmed: {title}",
        "Your stay at {title} is confirmed.",
        "{guest} is booked at {title}.",
    ),
    "BookingDeclined": (
        "Booking declined: {title}",
        "The host declined your request to stay at {title}.",
        "You declined {guest}'s request to stay at {title}.",
    ),
    "BookingCancelled": (
        "Booking cancelled: {title}",
        "The booking at {title} was cancelled.",
        "{guest}'s booking at {title} was cancelled.",
    ),
    "BookingExpired": (
        "Booking expired: {title}",
        "Your booking at {title} lapsed before it was paid or answered.",
        "{guest}'s booking at {title} lapsed.",
    ),
    "PaymentFailed": (
        "Payment failed: {title}",
        "Your payment for {title} did not go through; the dates are not yours yet.",
        "{guest}'s payment for {title} did not go through.",
    ),
}

NOTIFIED_TOPICS = frozenset(_NEWS)


@dataclass(frozen=True, slots=True)
class Notification:
    """One message to one person; ``message_id`` is the same each time the same news is composed for them."""

    message_id: str
    to_name: str
    to_email: str
    subject: str
    lines: tuple[str, ...]

    def to_json(self) -> dict[str, JsonValue]:
        values = asdict(self)
        return {**values, "lines": "\n".join(self.lines)}

    @classmethod
    def from_json(cls, values: dict[str, JsonValue]) -> Notification:
        return cls(
            message_id=str(values["message_id"]),
            to_name=str(values["to_name"]),
            to_email=str(values["to_email"]),
            subject=str(values["subject"]),
            lines=tuple(str(values["lines"]).split("\n")),
        )


def compose(
    topic: str, outbox_id: uuid.UUID, booking: Booking, place: Property, guest: User, host: User
) -> dict[Recipient, Notification]:
    """The messages ``topic`` sends to the guest and the host of ``booking``."""
    subject, to_guest, to_host = _NEWS[topic]
    names = {"title": place.title, "guest": guest.name}
    stay = f"{booking.check_in_date.isoformat()} to {booking.check_out_date.isoformat()}, {booking.guests} guest(s)"
    reference = f"Booking {booking.id}"

    def message(recipient: Recipient, person: User, news: str) -> Notification:
        return Notification(
            message_id=f"{outbox_id}.{recipient}",
            to_name=person.name,
            to_email=person.email,
            subject=subject.format(**names),
            lines=(f"Hello {person.name},", news.format(**names), stay, reference),
        )

    return {"guest": message("guest", guest, to_guest), "host": message("host", host, to_host)}
