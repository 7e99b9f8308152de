"""Paying for a booking and the host's answer to a request to book: where money moves through the provider.

The provider is never called inside a transaction (its answer takes a network round trip, and on SQLite
the sandbox provider needs the database's write lock itself). Each use case therefore runs in three steps:

1. a short transaction checks the booking and, for a payment, stores the attempt as ``processing``;
2. the provider is called with an idempotency key named by the booking (and the attempt), so asking
   again — a client's retry, a concurrent request, a repair after a crash — gets the first answer back
   and never charges twice;
3. a second transaction locks the booking and applies that answer, unless the booking moved on
   meanwhile (its hold ran out, a concurrent decision won): then the money is given back.

The provider's own rules settle races between decisions: once an approval captured an authorization, a
concurrent decline cannot void it (and the reverse), so the loser is told the booking moved on.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Callable, Collection, Mapping
from datetime import datetime, timedelta

from airbnb_core.domain.bookings import Booking, BookingStatus, BookingTerms
from airbnb_core.domain.errors import (
    DomainError,
    Forbidden,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PaymentDeclined,
)
from airbnb_core.domain.events import BookingConfirmed, BookingDeclined, BookingRequested, PaymentFailed
from airbnb_core.domain.money import Money
from airbnb_core.domain.payments import CAPTURED_STATUSES, Payment, PaymentStatus, check_payment_method
from airbnb_core.domain.properties import Property
from airbnb_core.domain.users import User
from airbnb_core.ports.clock import Clock
from airbnb_core.ports.payments import IntentStatus, PaymentGateway, ProviderEvent, ProviderOutcome, ProviderPayment
from airbnb_core.ports.unit_of_work import UnitOfWork
from airbnb_core.services.access import BookingView, require_host, view_of, visible, visible_ids

logger = logging.getLogger(__name__)

# What a client may branch on: every other decline reason (insufficient funds…) is a declined card.
AUTHENTICATION_REQUIRED = "authentication_required"


class Payments:
    def __init__(
        self, uow: Callable[[], UnitOfWork], clock: Clock, gateway: PaymentGateway, terms: BookingTerms
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._gateway = gateway
        self._terms = terms

    def pay(self, guest: User, booking_id: uuid.UUID, payment_method: str) -> Payment:
        """Pay for a pending booking: instant book captures and confirms, request to book authorizes and asks
        the host. A decline raises ``PaymentDeclined`` (402) and leaves the booking pending for another try."""
        check_payment_method(payment_method)
        now = self._clock.now()
        with self._uow() as uow:
            booking, place = visible(uow, guest, booking_id, lock=True)
            if guest.id != booking.user_id:
                raise Forbidden("only the guest pays for a booking")
            _require_pending(booking.status_at(now))
            payment = uow.payments.get_for_booking(booking.id)
            if payment is None:
                payment = Payment.attempt(
                    booking_id=booking.id, amount=booking.total, provider=self._gateway.name,
                    payment_method=payment_method, now=now,
                )  # fmt: skip
                uow.payments.add(payment)
            elif payment.payment_status is PaymentStatus.FAILED:
                payment.retry(payment_method, now)
                uow.payments.update(payment)
            elif payment.payment_status is not PaymentStatus.PROCESSING:
                raise InvalidTransition("this booking is already paid", code="already_paid")
            # Still processing: an earlier attempt (a crash, or a concurrent request) has no outcome yet.
            # This request resumes it, with its payment method and key, and so cannot charge a second time.
            uow.commit()
        return self._resume(payment, instant_book=place.instant_book)

    def payment(self, viewer: User, booking_id: uuid.UUID) -> Payment:
        """The booking's payment, for its guest, its host or an administrator."""
        with self._uow() as uow:
            booking, _ = visible(uow, viewer, booking_id)
            payment = uow.payments.get_for_booking(booking.id)
        if payment is None:
            raise NotFound("this booking has no payment yet", code="no_payment")
        return payment

    def payments_of(self, viewer: User, booking_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Payment]:
        """By booking id, the payments of those bookings the viewer may see (as ``payment`` decides for one) that
        have one, in a few queries whatever their number: for batching (GraphQL DataLoaders)."""
        with self._uow() as uow:
            return uow.payments.get_many_for_bookings(visible_ids(uow, viewer, booking_ids))

    def approve(self, host: User, booking_id: uuid.UUID) -> BookingView:
        """Accept a request to book: capture the authorization and confirm."""
        payment = self._answerable(host, booking_id)
        self._gateway.capture(_provider_id(payment))
        now = self._clock.now()
        with self._uow() as uow:
            booking, place = visible(uow, host, booking_id, lock=True)
            status = _record_capture(uow, booking, place, _payment_of(uow, booking_id), now)
            uow.commit()
        if status is not BookingStatus.REQUESTED:
            if status is not BookingStatus.CONFIRMED:  # the request ran out while the card was captured
                refund_in_full(self._gateway, self._uow, self._clock, booking_id, reason="lapsed-approval")
            raise InvalidTransition(f"a {status} booking cannot be approved")
        return view_of(booking, place, host, now, reviewed=False)

    def decline(self, host: User, booking_id: uuid.UUID) -> BookingView:
        """Turn down a request to book: release the card's authorization."""
        payment = self._answerable(host, booking_id)
        self._gateway.void(_provider_id(payment))
        now = self._clock.now()
        with self._uow() as uow:
            booking, place = visible(uow, host, booking_id, lock=True)
            payment = _payment_of(uow, booking_id)
            if payment.payment_status is PaymentStatus.AUTHORIZED:
                payment.voided(now)
                uow.payments.update(payment)
            if booking.status_at(now) is not BookingStatus.REQUESTED:
                uow.commit()
                raise InvalidTransition(f"a {booking.status_at(now)} booking cannot be declined")
            booking.decline(now)
            uow.bookings.update(booking)
            uow.record(BookingDeclined.of(booking, place.host_id))
            uow.commit()
        return view_of(booking, place, host, now, reviewed=False)

    def _answerable(self, host: User, booking_id: uuid.UUID) -> Payment:
        """The authorized payment of a request the host may still answer."""
        now = self._clock.now()
        with self._uow() as uow:
            booking, place = visible(uow, host, booking_id)
            require_host(host, place)
            status = booking.status_at(now)
            if status is not BookingStatus.REQUESTED:
                raise InvalidTransition(f"a {status} booking is not waiting for an answer")
            payment = _payment_of(uow, booking_id)
        if payment.payment_status is not PaymentStatus.AUTHORIZED:
            raise InvalidTransition(f"the booking's payment is {payment.payment_status}, not authorized")
        return payment

    def _resume(self, payment: Payment, *, instant_book: bool) -> Payment:
        """Ask the provider for the processing attempt's outcome and apply it: what a client's retry and
        reconciliation both do, under the attempt's key, so the provider charges at most once."""
        try:
            answer = self._gateway.create(
                payment.money,
                payment_method=payment.payment_method,
                capture=instant_book,
                idempotency_key=payment.idempotency_key,
            )
        except InvalidInput as refused:  # not a decline: the provider refused the request itself
            self._end_attempt(payment.booking_id, payment.attempts, refused.code)
            raise
        return self._apply_payment(payment.booking_id, payment.attempts, answer)

    def _apply_payment(self, booking_id: uuid.UUID, attempt: int, answer: ProviderPayment) -> Payment:
        now = self._clock.now()
        with self._uow() as uow:
            booking, place = _locked_booking(uow, booking_id)
            payment = _payment_of(uow, booking_id)
            if payment.attempts != attempt or payment.payment_status is not PaymentStatus.PROCESSING:
                # A concurrent request resuming this attempt applied the same answer first.
                return _settled(payment)
            if answer.outcome is ProviderOutcome.DECLINED:
                payment.declined(answer.provider_payment_id, answer.decline_reason or "card_declined", now)
                uow.payments.update(payment)
                uow.record(PaymentFailed.of(booking, place.host_id))
                uow.commit()
                return _settled(payment)
            if answer.outcome is ProviderOutcome.SUCCEEDED:
                payment.succeeded(answer.provider_payment_id, now)
            else:
                payment.authorized(answer.provider_payment_id, now)
            uow.payments.update(payment)
            if booking.status_at(now) is BookingStatus.PENDING:
                booking.paid(instant_book=place.instant_book, now=now, request_window=self._terms.request_window)
                uow.bookings.update(booking)
                event = BookingConfirmed if booking.status is BookingStatus.CONFIRMED else BookingRequested
                uow.record(event.of(booking, place.host_id))
                uow.commit()
                return payment
            uow.commit()
        # The hold ran out (or the guest cancelled) while the provider was charging: give the money back.
        give_back(self._gateway, self._uow, self._clock, payment, reason="late-payment")
        status = booking.status_at(now)
        raise InvalidTransition(
            f"the booking became {status} before the payment went through; it was given back",
            code="hold_expired" if status is BookingStatus.EXPIRED else InvalidTransition.code,
        )

    def receive_webhook(self, provider: str, payload: bytes, headers: Mapping[str, str]) -> bool:
        """Verify a webhook of the configured provider and apply its event (``apply_provider_event``).

        ``NotFound`` when ``provider`` is not the configured one; ``InvalidInput`` (``bad_signature``) when the
        provider's signature does not check out, before anything is read from the payload.
        """
        if provider != self._gateway.name:
            raise NotFound(f"payments do not go through a provider named {provider!r}", code="unknown_provider")
        return self.apply_provider_event(self._gateway.parse_webhook(payload, headers))

    def apply_provider_event(self, event: ProviderEvent) -> bool:
        """Bring our records of the event's payment up to what the provider says, with the effect the synchronous
        path has (a capture confirms the request it paid for), once per event however often it is delivered.

        Returns whether anything changed: an event already applied, about a payment we do not know (a processing
        attempt has no provider id until it is resumed, by its guest or by ``reconcile``) or that our records
        are already past (it came late or out of order) changes nothing.
        """
        status = _STATUS_BY_EVENT.get(event.type)
        now = self._clock.now()
        with self._uow() as uow:
            # In the same transaction as the effect: a concurrent delivery of the event waits here, then skips.
            if not uow.processed_webhook_events.add(self._gateway.name, event.event_id, now):
                return False
            known = uow.payments.get_by_provider_id(self._gateway.name, event.provider_payment_id)
            changed = lapsed = False
            booking_id = known.booking_id if known is not None else None
            if status is not None and known is not None:
                booking, place = _locked_booking(uow, known.booking_id)
                payment = _payment_of(uow, booking.id)  # as the booking's lock leaves it
                if payment.provider_payment_id == event.provider_payment_id:
                    changed, lapsed = _catch_up(uow, booking, place, payment, status, event.amount_refunded, now)
            uow.commit()
        if lapsed and booking_id is not None:
            refund_in_full(self._gateway, self._uow, self._clock, booking_id, reason="lapsed-approval")
        return changed

    def reconcile(self, *, older_than: timedelta = timedelta(minutes=1), limit: int = 100) -> int:
        """Repair the payments on which our records and the provider may disagree, for a scheduler to call.

        A processing attempt (our commit came, the provider's answer never got applied) is resumed as its
        guest's retry would, under its key; an authorized or captured payment is compared with the provider's
        and brought up to it (``apply_provider_event``'s effects: a webhook that never came). Looks at ``limit``
        payments unchanged for ``older_than`` at most (a younger attempt may still be under way), in-flight
        ones first; returns how many it changed.
        """
        now = self._clock.now()
        with self._uow() as uow:
            candidates = uow.payments.unsettled(updated_before=now - older_than, limit=limit)
        repaired = 0
        for payment in candidates:
            try:
                repaired += self._reconcile(payment)
            except DomainError:  # the provider is away, or a concurrent change won: the next round looks again
                logger.warning("could not reconcile the payment of booking %s", payment.booking_id, exc_info=True)
        return repaired

    def _reconcile(self, payment: Payment) -> bool:
        if payment.payment_status is PaymentStatus.PROCESSING:
            with self._uow() as uow:
                _, place = _locked_booking(uow, payment.booking_id)
            # A decline, a refusal, or a payment too late for its booking given back: each is recorded.
            with contextlib.suppress(PaymentDeclined, InvalidInput, InvalidTransition):
                self._resume(payment, instant_book=place.instant_book)
            return True
        intent = self._gateway.retrieve(_provider_id(payment))
        now = self._clock.now()
        with self._uow() as uow:
            booking, place = _locked_booking(uow, payment.booking_id)
            current = _payment_of(uow, booking.id)
            if current.provider_payment_id != intent.provider_payment_id:
                return False
            changed, lapsed = _catch_up(uow, booking, place, current, intent.status, intent.amount_refunded, now)
            uow.commit()
        if lapsed:
            refund_in_full(self._gateway, self._uow, self._clock, booking.id, reason="lapsed-approval")
        return changed

    def _end_attempt(self, booking_id: uuid.UUID, attempt: int, code: str) -> None:
        now = self._clock.now()
        with self._uow() as uow:
            uow.bookings.lock(booking_id)
            payment = _payment_of(uow, booking_id)
            if payment.attempts == attempt and payment.payment_status is PaymentStatus.PROCESSING:
                payment.declined(None, code, now)
                uow.payments.update(payment)
                uow.commit()


# Where each webhook event says the payment stands at the provider, in the words of ``PaymentGateway.retrieve``.
_STATUS_BY_EVENT = {
    "payment_intent.succeeded": IntentStatus.SUCCEEDED,
    "payment_intent.amount_capturable_updated": IntentStatus.REQUIRES_CAPTURE,
    "payment_intent.payment_failed": IntentStatus.FAILED,
    "payment_intent.canceled": IntentStatus.CANCELED,
    "charge.refunded": IntentStatus.SUCCEEDED,  # refunds leave a captured intent succeeded
}


def _catch_up(
    uow: UnitOfWork,
    booking: Booking,
    place: Property,
    payment: Payment,
    status: IntentStatus,
    amount_refunded: int | None,
    now: datetime,
) -> tuple[bool, bool]:
    """Record what the provider did to the payment that our records miss: a capture, a void, refunds
    (``amount_refunded`` is the provider's total so far). Returns whether anything changed, and whether the
    capture was for a request no longer answerable, whose money must then go back once this is committed.

    Only moves forward: a provider state our records are already past changes nothing.
    """
    changed = lapsed = False
    if payment.payment_status is PaymentStatus.AUTHORIZED and status is IntentStatus.SUCCEEDED:
        before = _record_capture(uow, booking, place, payment, now)
        changed, lapsed = True, before not in (BookingStatus.REQUESTED, BookingStatus.CONFIRMED)
    elif payment.payment_status is PaymentStatus.AUTHORIZED and status is IntentStatus.CANCELED:
        payment.voided(now)
        uow.payments.update(payment)
        changed = True
    if payment.payment_status in CAPTURED_STATUSES and amount_refunded is not None:
        # Never beyond the amount: whatever the provider claims, we cannot have given back more than we took.
        missing = min(amount_refunded, payment.amount) - payment.refunded_amount
        if missing > 0:
            payment.refunded(missing, now)
            uow.payments.update(payment)
            changed = True
    return changed, lapsed


def _record_capture(
    uow: UnitOfWork, booking: Booking, place: Property, payment: Payment, now: datetime
) -> BookingStatus:
    """Record that the provider captured the authorization and confirm the request it was held for, as an
    approval does; returns the booking's status before, which, unless requested or confirmed, means the
    captured money must go back (``refund_in_full``, once this is committed)."""
    if payment.payment_status is PaymentStatus.AUTHORIZED:
        payment.captured(now)
        uow.payments.update(payment)
    status = booking.status_at(now)
    if status is BookingStatus.REQUESTED:
        booking.approve(now)
        uow.bookings.update(booking)
        uow.record(BookingConfirmed.of(booking, place.host_id))
    return status


def give_back(
    gateway: PaymentGateway, uow: Callable[[], UnitOfWork], clock: Clock, payment: Payment, *, reason: str
) -> None:
    """Release an authorization, or refund all that is left of a capture, and record it."""
    if payment.payment_status is PaymentStatus.AUTHORIZED:
        void_authorization(gateway, uow, clock, payment.booking_id)
    elif payment.payment_status in CAPTURED_STATUSES:
        refund_in_full(gateway, uow, clock, payment.booking_id, reason=reason)


def void_authorization(
    gateway: PaymentGateway, uow: Callable[[], UnitOfWork], clock: Clock, booking_id: uuid.UUID
) -> None:
    with uow() as opened:
        payment = _payment_of(opened, booking_id)
    if payment.payment_status is not PaymentStatus.AUTHORIZED:
        return
    gateway.void(_provider_id(payment))
    with uow() as opened:
        opened.bookings.lock(booking_id)
        payment = _payment_of(opened, booking_id)
        if payment.payment_status is PaymentStatus.AUTHORIZED:
            payment.voided(clock.now())
            opened.payments.update(payment)
            opened.commit()


def refund_in_full(
    gateway: PaymentGateway, uow: Callable[[], UnitOfWork], clock: Clock, booking_id: uuid.UUID, *, reason: str
) -> None:
    with uow() as opened:
        payment = _payment_of(opened, booking_id)
    left = Money(payment.amount - payment.refunded_amount, payment.currency)
    if payment.payment_status not in CAPTURED_STATUSES or left.amount == 0:
        return
    gateway.refund(_provider_id(payment), left, idempotency_key=f"booking-{booking_id}-refund-{reason}")
    with uow() as opened:
        opened.bookings.lock(booking_id)
        payment = _payment_of(opened, booking_id)
        if payment.payment_status in CAPTURED_STATUSES and payment.amount - payment.refunded_amount == left.amount:
            payment.refunded(left.amount, clock.now())
            opened.payments.update(payment)
            opened.commit()


def _require_pending(status: BookingStatus) -> None:
    if status is BookingStatus.EXPIRED:
        raise InvalidTransition("the hold on these dates has expired", code="hold_expired")
    if status is not BookingStatus.PENDING:
        raise InvalidTransition(f"a {status} booking cannot be paid for")


def _settled(payment: Payment) -> Payment:
    """The attempt's result: the payment, or the decline as a ``PaymentDeclined``."""
    if payment.payment_status is PaymentStatus.FAILED:
        code = payment.failure_code or "card_declined"
        public = AUTHENTICATION_REQUIRED if code == AUTHENTICATION_REQUIRED else "card_declined"
        raise PaymentDeclined(f"the payment was declined ({code}); try another payment method", code=public)
    return payment


def _locked_booking(uow: UnitOfWork, booking_id: uuid.UUID) -> tuple[Booking, Property]:
    booking = uow.bookings.lock(booking_id)
    place = uow.properties.get(booking.property_id) if booking else None
    if booking is None or place is None:  # the foreign keys rule it out
        raise NotFound("no such booking")
    return booking, place


def _payment_of(uow: UnitOfWork, booking_id: uuid.UUID) -> Payment:
    payment = uow.payments.get_for_booking(booking_id)
    if payment is None:
        raise InvalidTransition("this booking has not been paid for", code="not_paid")
    return payment


def _provider_id(payment: Payment) -> str:
    if payment.provider_payment_id is None:  # only a processing or refused attempt lacks one
        raise InvalidTransition(f"a {payment.payment_status} payment has nothing at the provider")
    return payment.provider_payment_id
