"""Booking use cases: quote and hold a stay, see it with what one may do to it, cancel it, and lapse what ran out.

Every decision on one booking (cancel, expire) locks its row first, so two callers racing for it
make one decision and the other is told the booking moved on.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from airbnb_core.domain.bookings import (
    Action,
    Booking,
    BookingRole,
    BookingStatus,
    BookingTerms,
    CancelledBy,
    RefundPreview,
)
from airbnb_core.domain.errors import DatesUnavailable, Forbidden, NotFound
from airbnb_core.domain.events import BookingCancelled, BookingExpired, DatesHeld
from airbnb_core.domain.pagination import LIMIT_DEFAULT, Page, check_limit, decode_time_key, time_key_of
from airbnb_core.domain.properties import Property, Quote
from airbnb_core.domain.stay import Stay
from airbnb_core.domain.users import User
from airbnb_core.ports.clock import Clock
from airbnb_core.ports.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class RequestBooking:
    property_id: uuid.UUID
    stay: Stay
    guests: int


@dataclass(frozen=True, slots=True)
class StayQuote:
    """The price a booking of these dates would get, and whether they are free now."""

    quote: Quote
    available: bool


@dataclass(frozen=True, slots=True)
class BookingView:
    """A booking as one caller sees it: its status at this moment (a lapsed hold reads as expired, stored
    or not) and what the caller may do."""

    booking: Booking
    status: BookingStatus
    actions: tuple[Action, ...]


class Bookings:
    def __init__(self, uow: Callable[[], UnitOfWork], clock: Clock, terms: BookingTerms) -> None:
        self._uow = uow
        self._clock = clock
        self._terms = terms

    def quote(self, property_id: uuid.UUID, stay: Stay, guests: int) -> StayQuote:
        """The breakdown ``request`` would give, refused by the same rules; never holds anything."""
        now = self._clock.now()
        with self._uow() as uow:
            place = _bookable(uow, property_id)
            Booking.check(place=place, stay=stay, guests=guests, now=now)
            held = uow.bookings.held_stays([place.id], stay.check_in, stay.check_out, now)
        return StayQuote(place.quote(stay, self._terms.service_fee_rate), available=not held.get(place.id))

    def request(self, guest: User, cmd: RequestBooking) -> BookingView:
        """Hold the stay as a pending booking; ``DatesUnavailable`` (409) when another booking holds any night of it."""
        now = self._clock.now()
        with self._uow() as uow:
            uow.bookings.lock_calendar(cmd.property_id)
            place = _bookable(uow, cmd.property_id)
            booking = Booking.request(
                guest=guest, place=place, stay=cmd.stay, guests=cmd.guests, now=now, terms=self._terms
            )
            # A lapsed hold never blocks, but the exclusion constraint still sees it as pending:
            # lapse the overlapping ones in this transaction before inserting.
            for lapsed in uow.bookings.expire_lapsed(now, property_id=place.id, overlapping=cmd.stay):
                uow.record(BookingExpired.of(lapsed, place.host_id))
            if uow.bookings.held_stays([place.id], cmd.stay.check_in, cmd.stay.check_out, now):
                raise DatesUnavailable("these dates are already booked")
            uow.bookings.add(booking)
            uow.record(DatesHeld(booking.id, place.id))
            uow.commit()
        return _view(booking, place, guest, now, reviewed=False)

    def view(self, viewer: User, booking_id: uuid.UUID) -> BookingView:
        """The booking if the viewer is its guest, its property's host or an administrator; else ``NotFound``."""
        now = self._clock.now()
        with self._uow() as uow:
            booking, place = _visible(uow, viewer, booking_id)
            reviewed = uow.reviews.get_for_booking(booking.id) is not None
        return _view(booking, place, viewer, now, reviewed)

    def list(
        self,
        viewer: User,
        *,
        role: BookingRole = BookingRole.GUEST,
        status: BookingStatus | None = None,
        limit: int = LIMIT_DEFAULT,
        cursor: str | None = None,
    ) -> Page[BookingView]:
        """The viewer's bookings as guest, or those on the viewer's properties as host, newest first. ``status``
        filters on the status at this moment: a hold that ran out counts as expired, stored so or not."""
        check_limit(limit)
        after = decode_time_key(cursor) if cursor else None
        now = self._clock.now()
        with self._uow() as uow:
            found = uow.bookings.list_for(viewer.id, role, status=status, now=now, limit=limit + 1, after=after)
            page = Page.from_overfetch(found, limit, time_key_of)
            places = uow.properties.get_many({b.property_id for b in page.items})
            reviewed = uow.reviews.reviewed([b.id for b in page.items])
        return page.map(lambda b: _view(b, places[b.property_id], viewer, now, b.id in reviewed))

    def cancellation_preview(self, viewer: User, booking_id: uuid.UUID) -> RefundPreview:
        """What cancelling now, by the viewer, would refund."""
        now = self._clock.now()
        with self._uow() as uow:
            booking, place = _visible(uow, viewer, booking_id)
        return booking.refund_preview(_side(viewer, booking, place), place.cancellation_policy, place.today(now))

    def cancel(self, viewer: User, booking_id: uuid.UUID) -> BookingView:
        """Cancel as the guest (refund per policy) or the host (everything back); cancelling twice is refused."""
        now = self._clock.now()
        with self._uow() as uow:
            booking, place = _visible(uow, viewer, booking_id, lock=True)
            by = _side(viewer, booking, place)
            percent = place.cancellation_policy.refund_percent(booking.days_before_check_in(place.today(now)))
            booking.cancel(by, policy_refund_percent=percent, now=now)
            uow.bookings.update(booking)
            uow.record(BookingCancelled.of(booking, place.host_id))
            uow.commit()
        return _view(booking, place, viewer, now, reviewed=False)

    def expire_lapsed(self) -> int:
        """Store as expired every hold and request whose time has passed (they already read as expired); for a
        scheduler to call. Returns how many were stored."""
        now = self._clock.now()
        with self._uow() as uow:
            lapsed = uow.bookings.expire_lapsed(now)
            for booking in lapsed:
                place = uow.properties.get(booking.property_id)
                if place is None:  # the foreign key rules it out
                    raise NotFound("no such property")
                uow.record(BookingExpired.of(booking, place.host_id))
            uow.commit()
        return len(lapsed)


def _bookable(uow: UnitOfWork, property_id: uuid.UUID) -> Property:
    place = uow.properties.get(property_id)
    host = uow.users.get(place.host_id) if place else None
    if place is None or host is None or not host.is_active:
        raise NotFound("no such property")
    return place


def _visible(uow: UnitOfWork, viewer: User, booking_id: uuid.UUID, *, lock: bool = False) -> tuple[Booking, Property]:
    booking = uow.bookings.lock(booking_id) if lock else uow.bookings.get(booking_id)
    place = uow.properties.get(booking.property_id) if booking else None
    if booking is None or place is None or not _may_see(viewer, booking, place):
        raise NotFound("no such booking")
    return booking, place


def _may_see(viewer: User, booking: Booking, place: Property) -> bool:
    return viewer.is_admin or viewer.id in (booking.user_id, place.host_id)


def _side(viewer: User, booking: Booking, place: Property) -> CancelledBy:
    """Which side the viewer acts for; an administrator who is neither may look but not act."""
    if viewer.id == booking.user_id:
        return CancelledBy.GUEST
    if viewer.id == place.host_id:
        return CancelledBy.HOST
    raise Forbidden("only the guest or the host may do this to a booking")


def _view(booking: Booking, place: Property, viewer: User, now: datetime, reviewed: bool) -> BookingView:
    actions = booking.actions(
        guest=viewer.id == booking.user_id,
        host=viewer.id == place.host_id,
        now=now,
        today=place.today(now),
        reviewed=reviewed,
    )
    return BookingView(booking, booking.status_at(now), actions)
