"""The stay's side of both drivers: pricing and booking it, paying, the host's answer, cancelling, reviewing."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import date
from typing import Any

from airbnb_core.domain.bookings import BookingRole
from airbnb_core.domain.payments import Payment
from airbnb_core.domain.reviews import Review
from airbnb_core.domain.stay import Stay
from airbnb_core.services.bookings import BookingView, RequestBooking
from tests.bdd.driving import CoreCalls, Outcome, RestCalls, Session


def _booking_dict(view: BookingView) -> dict[str, Any]:
    b = view.booking
    return {
        "id": str(b.id),
        "property_id": str(b.property_id),
        "user_id": str(b.user_id),
        "check_in": b.check_in_date,
        "check_out": b.check_out_date,
        "guests": b.guests,
        "status": view.status.value,
        "nightly_subtotal": b.nightly_subtotal,
        "cleaning_fee": b.cleaning_fee,
        "service_fee": b.service_fee,
        "total_price": b.total_price,
        "currency": b.currency,
        "cancelled_by": b.cancelled_by.value if b.cancelled_by else None,
        "refund_amount": b.refund_amount,
        "actions": [a.value for a in view.actions],
    }


def _payment_dict(payment: Payment) -> dict[str, Any]:
    return {
        "id": str(payment.id),
        "booking_id": str(payment.booking_id),
        "amount": payment.amount,
        "currency": payment.currency,
        "payment_method": payment.payment_method,
        "payment_status": payment.payment_status.value,
        "refunded_amount": payment.refunded_amount,
    }


def _review_dict(review: Review) -> dict[str, Any]:
    fields = dataclasses.asdict(review)
    return {**fields, **{k: str(fields[k]) for k in ("id", "booking_id", "user_id", "property_id")}}


def _with_dates(booking: dict[str, Any]) -> dict[str, Any]:
    return {
        **booking,
        "check_in": date.fromisoformat(booking["check_in"]),
        "check_out": date.fromisoformat(booking["check_out"]),
    }


class CoreStays(CoreCalls):
    def quote(self, property_id: str, check_in: date, check_out: date, guests: int) -> Outcome:
        def run() -> dict[str, Any]:
            found = self._services.bookings.quote(uuid.UUID(property_id), Stay(check_in, check_out), guests)
            q = found.quote
            return {
                "nights": q.nights,
                "nightly_subtotal": q.nightly_subtotal.amount,
                "weekly_discount": q.weekly_discount.amount,
                "cleaning_fee": q.cleaning_fee.amount,
                "service_fee": q.service_fee.amount,
                "total_price": q.total.amount,
                "currency": q.total.currency,
                "available": found.available,
            }

        return self._call(run)

    def book(self, session: Session, property_id: str, check_in: date, check_out: date, guests: int) -> Outcome:
        cmd = RequestBooking(uuid.UUID(property_id), Stay(check_in, check_out), guests)
        return self._call(lambda: _booking_dict(self._services.bookings.request(self._user(session), cmd)))

    def booking(self, session: Session, booking_id: str) -> Outcome:
        bookings = self._services.bookings
        return self._call(lambda: _booking_dict(bookings.view(self._user(session), uuid.UUID(booking_id))))

    def cancellation_preview(self, session: Session, booking_id: str) -> Outcome:
        def run() -> dict[str, Any]:
            preview = self._services.bookings.cancellation_preview(self._user(session), uuid.UUID(booking_id))
            return {
                "refund_amount": preview.refund.amount,
                "currency": preview.refund.currency,
                "refund_percent": preview.refund_percent,
                "voids_authorization": preview.voids_authorization,
            }

        return self._call(run)

    def cancel(self, session: Session, booking_id: str) -> Outcome:
        bookings = self._services.bookings
        return self._call(lambda: _booking_dict(bookings.cancel(self._user(session), uuid.UUID(booking_id))))

    def bookings(self, session: Session, *, as_host: bool = False) -> Outcome:
        role = BookingRole.HOST if as_host else BookingRole.GUEST
        return self._call(
            lambda: [_booking_dict(v) for v in self._services.bookings.list(self._user(session), role=role).items]
        )

    def pay(self, session: Session, booking_id: str, payment_method: str) -> Outcome:
        payments = self._services.payments
        return self._call(
            lambda: _payment_dict(payments.pay(self._user(session), uuid.UUID(booking_id), payment_method))
        )

    def payment(self, session: Session, booking_id: str) -> Outcome:
        payments = self._services.payments
        return self._call(lambda: _payment_dict(payments.payment(self._user(session), uuid.UUID(booking_id))))

    def approve(self, session: Session, booking_id: str) -> Outcome:
        payments = self._services.payments
        return self._call(lambda: _booking_dict(payments.approve(self._user(session), uuid.UUID(booking_id))))

    def decline(self, session: Session, booking_id: str) -> Outcome:
        payments = self._services.payments
        return self._call(lambda: _booking_dict(payments.decline(self._user(session), uuid.UUID(booking_id))))

    def review(self, session: Session, booking_id: str, rating: int, comment: str) -> Outcome:
        reviews = self._services.reviews
        return self._call(
            lambda: _review_dict(
                reviews.write(self._user(session), uuid.UUID(booking_id), rating=rating, comment=comment)
            )
        )


class RestStays(RestCalls):
    def quote(self, property_id: str, check_in: date, check_out: date, guests: int) -> Outcome:
        params = {"check_in": check_in, "check_out": check_out, "guests": guests}
        return self._send("GET", f"/properties/{property_id}/quote", params=params)

    def _booking(self, outcome: Outcome) -> Outcome:
        if outcome.error is None:
            outcome.value = _with_dates(outcome.value)
        return outcome

    def book(self, session: Session, property_id: str, check_in: date, check_out: date, guests: int) -> Outcome:
        body = {"property_id": property_id, "check_in": str(check_in), "check_out": str(check_out), "guests": guests}
        return self._booking(self._send("POST", "/bookings", token=session.access_token, json=body))

    def booking(self, session: Session, booking_id: str) -> Outcome:
        return self._booking(self._send("GET", f"/bookings/{booking_id}", token=session.access_token))

    def cancellation_preview(self, session: Session, booking_id: str) -> Outcome:
        return self._send("GET", f"/bookings/{booking_id}/cancellation", token=session.access_token)

    def cancel(self, session: Session, booking_id: str) -> Outcome:
        return self._booking(self._send("POST", f"/bookings/{booking_id}/cancel", token=session.access_token))

    def bookings(self, session: Session, *, as_host: bool = False) -> Outcome:
        params = {"role": "host" if as_host else "guest"}
        outcome = self._send("GET", "/bookings", token=session.access_token, params=params)
        if outcome.error is None:
            outcome.value = [_with_dates(b) for b in outcome.value["items"]]
        return outcome

    def pay(self, session: Session, booking_id: str, payment_method: str) -> Outcome:
        body = {"payment_method": self.payment_methods(payment_method)}
        return self._send("POST", f"/bookings/{booking_id}/payments", token=session.access_token, json=body)

    def payment(self, session: Session, booking_id: str) -> Outcome:
        return self._send("GET", f"/bookings/{booking_id}/payment", token=session.access_token)

    def approve(self, session: Session, booking_id: str) -> Outcome:
        return self._booking(self._send("POST", f"/bookings/{booking_id}/approve", token=session.access_token))

    def decline(self, session: Session, booking_id: str) -> Outcome:
        return self._booking(self._send("POST", f"/bookings/{booking_id}/decline", token=session.access_token))

    def review(self, session: Session, booking_id: str, rating: int, comment: str) -> Outcome:
        body = {"rating": rating, "comment": comment}
        return self._send("POST", f"/bookings/{booking_id}/reviews", token=session.access_token, json=body)
