"""Who may see and act on a booking, and the booking as one caller sees it; shared by the booking use cases."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from airbnb_core.domain.bookings import Action, Booking, BookingStatus, CancelledBy
from airbnb_core.domain.errors import Forbidden, NotFound
from airbnb_core.domain.properties import Property
from airbnb_core.domain.users import User
from airbnb_core.ports.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class BookingView:
    """A booking as one caller sees it: its status at this moment (a lapsed hold reads as expired, stored
    or not) and what the caller may do."""

    booking: Booking
    status: BookingStatus
    actions: tuple[Action, ...]


def bookable(uow: UnitOfWork, property_id: uuid.UUID) -> Property:
    place = uow.properties.get(property_id)
    host = uow.users.get(place.host_id) if place else None
    if place is None or host is None or not host.is_active:
        raise NotFound("no such property")
    return place


def visible(uow: UnitOfWork, viewer: User, booking_id: uuid.UUID, *, lock: bool = False) -> tuple[Booking, Property]:
    """The booking and its property, if the viewer is its guest, its host or an administrator; else ``NotFound``."""
    booking = uow.bookings.lock(booking_id) if lock else uow.bookings.get(booking_id)
    place = uow.properties.get(booking.property_id) if booking else None
    if booking is None or place is None or not (viewer.is_admin or viewer.id in (booking.user_id, place.host_id)):
        raise NotFound("no such booking")
    return booking, place


def visible_ids(uow: UnitOfWork, viewer: User, booking_ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
    """Those of ``booking_ids`` the viewer may see, by the rule of ``visible``, in two round trips whatever their
    number: what a batch of bookings' payments or reviews is filtered by."""
    bookings = uow.bookings.get_many(booking_ids)
    places = uow.properties.get_many({booking.property_id for booking in bookings.values()})
    return {
        booking.id
        for booking in bookings.values()
        if (place := places.get(booking.property_id)) is not None
        and (viewer.is_admin or viewer.id in (booking.user_id, place.host_id))
    }


def side(viewer: User, booking: Booking, place: Property) -> CancelledBy:
    """Which side the viewer acts for; an administrator who is neither may look but not act."""
    if viewer.id == booking.user_id:
        return CancelledBy.GUEST
    if viewer.id == place.host_id:
        return CancelledBy.HOST
    raise Forbidden("only the guest or the host may do this to a booking")


def require_host(viewer: User, place: Property) -> None:
    if viewer.id != place.host_id:
        raise Forbidden("only the property's host may answer a request to book")


def view_of(booking: Booking, place: Property, viewer: User, now: datetime, *, reviewed: bool) -> BookingView:
    actions = booking.actions(
        guest=viewer.id == booking.user_id,
        host=viewer.id == place.host_id,
        now=now,
        today=place.today(now),
        reviewed=reviewed,
    )
    return BookingView(booking, booking.status_at(now), actions)
