"""Booking use cases: quote and hold a stay, see it with what one may do to it, cancel it, and lapse what ran out.

Every decision on one booking (cancel, expire) locks its row before it writes, so two callers racing for
it make one decision and the other is told the booking moved on. Paying and the host's answer are in
``services.payments``, with the order of provider calls and commits that both follow.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from airbnb_core.domain.bookings import Booking, BookingRole, BookingStatus, BookingTerms, RefundPreview
from airbnb_core.domain.errors import Conflict, DatesUnavailable, DomainError, InvalidTransition
from airbnb_core.domain.events import BookingCancelled, BookingExpired, DatesHeld
from airbnb_core.domain.pagination import LIMIT_DEFAULT, Page, check_limit, decode_time_key, time_key_of
from airbnb_core.domain.payments import CAPTURED_STATUSES, PaymentStatus
from airbnb_core.domain.properties import Quote
from airbnb_core.domain.stay import Stay
from airbnb_core.domain.users import User
from airbnb_core.ports.clock import Clock
from airbnb_core.ports.payments import PaymentGateway
from airbnb_core.ports.unit_of_work import UnitOfWork
from airbnb_core.services.access import BookingView, bookable, side, view_of, visible
from airbnb_core.services.payments import void_authorization

logger = logging.getLogger(__name__)


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


class Bookings:
    def __init__(
        self, uow: Callable[[], UnitOfWork], clock: Clock, gateway: PaymentGateway, terms: BookingTerms
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._gateway = gateway
        self._terms = terms

    def quote(self, property_id: uuid.UUID, stay: Stay, guests: int) -> StayQuote:
        """The breakdown ``request`` would give, refused by the same rules; never holds anything."""
        now = self._clock.now()
        with self._uow() as uow:
            place = bookable(uow, property_id)
            Booking.check(place=place, stay=stay, guests=guests, now=now)
            held = uow.bookings.held_stays([place.id], stay.check_in, stay.check_out, now)
        return StayQuote(place.quote(stay, self._terms.service_fee_rate), available=not held.get(place.id))

    def request(self, guest: User, cmd: RequestBooking) -> BookingView:
        """Hold the stay as a pending booking; ``DatesUnavailable`` (409) when another booking holds any night of it."""
        now = self._clock.now()
        with self._uow() as uow:
            uow.bookings.lock_calendar(cmd.property_id)
            place = bookable(uow, cmd.property_id)
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
        return view_of(booking, place, guest, now, reviewed=False)

    def view(self, viewer: User, booking_id: uuid.UUID) -> BookingView:
        """The booking if the viewer is its guest, its property's host or an administrator; else ``NotFound``."""
        now = self._clock.now()
        with self._uow() as uow:
            booking, place = visible(uow, viewer, booking_id)
            reviewed = uow.reviews.get_for_booking(booking.id) is not None
        return view_of(booking, place, viewer, now, reviewed=reviewed)

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
        return page.map(lambda b: view_of(b, places[b.property_id], viewer, now, reviewed=b.id in reviewed))

    def cancellation_preview(self, viewer: User, booking_id: uuid.UUID) -> RefundPreview:
        """What cancelling now, by the viewer, would refund."""
        now = self._clock.now()
        with self._uow() as uow:
            booking, place = visible(uow, viewer, booking_id)
        return booking.refund_preview(side(viewer, booking, place), place.cancellation_policy, place.today(now))

    def cancel(self, viewer: User, booking_id: uuid.UUID) -> BookingView:
        """Cancel as the guest (refund per policy) or the host (everything back); cancelling twice is refused.

        The money goes back first, under a key named by the booking, so that a concurrent or retried
        cancellation refunds once; an authorization only held is released instead. Then the booking is
        cancelled, unless a concurrent decision came first (409).
        """
        now = self._clock.now()
        with self._uow() as uow:
            booking, place = visible(uow, viewer, booking_id)
            by = side(viewer, booking, place)
            booking.require_cancellable(now)
            percent = place.cancellation_policy.refund_percent(booking.days_before_check_in(place.today(now)))
            refund = booking.refund_preview(by, place.cancellation_policy, place.today(now)).refund
            payment = uow.payments.get_for_booking(booking.id)
        if payment is not None and payment.provider_payment_id is not None:
            try:
                if payment.payment_status is PaymentStatus.AUTHORIZED:
                    self._gateway.void(payment.provider_payment_id)
                elif refund.amount > 0 and payment.payment_status in CAPTURED_STATUSES:
                    key = f"booking-{booking.id}-refund-cancellation"
                    self._gateway.refund(payment.provider_payment_id, refund, idempotency_key=key)
            except Conflict as lost:  # the same key with another amount: the other side's cancellation came first
                raise InvalidTransition(f"this booking is already being cancelled ({lost.detail})") from lost
        with self._uow() as uow:
            booking, place = visible(uow, viewer, booking_id, lock=True)
            booking.cancel(by, policy_refund_percent=percent, now=now)
            uow.bookings.update(booking)
            payment = uow.payments.get_for_booking(booking.id)
            if payment is not None and payment.payment_status is PaymentStatus.AUTHORIZED:
                payment.voided(now)
                uow.payments.update(payment)
            elif payment is not None and refund.amount > 0 and payment.payment_status in CAPTURED_STATUSES:
                payment.refunded(refund.amount, now)
                uow.payments.update(payment)
            uow.record(BookingCancelled.of(booking, place.host_id))
            uow.commit()
        return view_of(booking, place, viewer, now, reviewed=False)

    def expire_lapsed(self) -> int:
        """Store as expired every hold and request whose time has passed (they already read as expired), then
        release the card authorizations that bookings no longer active still hold; for a scheduler to call.
        Returns how many bookings were stored as expired."""
        now = self._clock.now()
        with self._uow() as uow:
            lapsed = uow.bookings.expire_lapsed(now)
            places = uow.properties.get_many({booking.property_id for booking in lapsed})
            for booking in lapsed:
                uow.record(BookingExpired.of(booking, places[booking.property_id].host_id))
            uow.commit()
            held = uow.payments.held_for_inactive_bookings(limit=100)
        for payment in held:
            try:
                void_authorization(self._gateway, self._uow, self._clock, payment.booking_id)
            except DomainError:  # captured meanwhile, or the provider is away: the next round looks again
                logger.warning("could not release the authorization of booking %s", payment.booking_id, exc_info=True)
        return len(lapsed)
