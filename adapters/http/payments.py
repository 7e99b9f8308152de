"""``/api/v1/bookings/{id}/…``: pay for a booking, see its payment, answer a request to book, review the stay."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from msgspec import Meta, Struct

from adapters.http.auth import BEARER_SECURITY
from adapters.http.bookings import Booking, to_booking
from adapters.http.idempotency import IdempotentRequest
from adapters.http.inputs import multiline_text
from adapters.http.openapi import problems
from adapters.http.schemas import Request
from airbnb_core.domain import payments as domain_payments
from airbnb_core.domain import reviews as domain_reviews
from airbnb_core.domain.payments import PAYMENT_METHOD_PATTERN, PaymentStatus
from airbnb_core.domain.reviews import COMMENT_MAX
from airbnb_core.domain.users import User
from airbnb_core.services.payments import Payments
from airbnb_core.services.reviews import Reviews

PaymentMethod = Annotated[
    str,
    Meta(
        max_length=255,
        pattern=f"^{PAYMENT_METHOD_PATTERN.pattern}$",
        description="The provider's payment method id (`pm_card_visa` on the sandbox); never a card number",
        examples=["pm_card_visa"],
    ),
]


class PaymentCreate(Request):
    """The amount is the booking's total, set by the server; an amount sent along is refused as unknown."""

    payment_method: PaymentMethod


class Payment(Struct, kw_only=True):
    id: uuid.UUID
    booking_id: uuid.UUID
    amount: int
    currency: str
    provider: str
    provider_payment_id: Annotated[str | None, Meta(description="Null until the provider has answered")]
    payment_method: str
    payment_status: Annotated[
        PaymentStatus,
        Meta(description="`processing` while an attempt's outcome is unknown; `failed` after a decline"),
    ]
    failure_code: Annotated[str | None, Meta(description="Why the last attempt was declined")]
    refunded_amount: int
    created_at: datetime
    updated_at: datetime


class ReviewCreate(Request):
    rating: Annotated[int, Meta(ge=1, le=5)]
    comment: Annotated[str, multiline_text(COMMENT_MAX)] = ""


class Review(Struct, kw_only=True):
    id: uuid.UUID
    booking_id: uuid.UUID
    property_id: uuid.UUID
    user_id: uuid.UUID
    rating: int
    comment: str
    created_at: datetime


def to_payment(payment: domain_payments.Payment) -> Payment:
    p = payment
    return Payment(
        id=p.id, booking_id=p.booking_id, amount=p.amount, currency=p.currency, provider=p.provider,
        provider_payment_id=p.provider_payment_id, payment_method=p.payment_method, payment_status=p.payment_status,
        failure_code=p.failure_code, refunded_amount=p.refunded_amount, created_at=p.created_at,
        updated_at=p.updated_at,
    )  # fmt: skip


def to_review(review: domain_reviews.Review) -> Review:
    r = review
    return Review(
        id=r.id, booking_id=r.booking_id, property_id=r.property_id, user_id=r.user_id, rating=r.rating,
        comment=r.comment, created_at=r.created_at,
    )  # fmt: skip


class BookingPaymentController(Controller):
    path = "/bookings/{booking_id:uuid}"
    tags = ["bookings"]
    security = BEARER_SECURITY

    @post(
        "/payments",
        operation_id="payBooking",
        status_code=HTTP_201_CREATED,
        sync_to_thread=True,
        responses=problems(401, 402, 403, 404, 409, body=True),
    )
    def pay(
        self,
        booking_id: FromPath[uuid.UUID],
        data: JSONBody[PaymentCreate],
        payments: NamedDependency[Payments],
        current_user: NamedDependency[User],
        idempotent: NamedDependency[IdempotentRequest],
    ) -> Response[Payment]:
        """Pay the booking's total as its guest: instant book captures and confirms; request to book authorizes
        the card and asks the host. 402 when declined: the booking stays pending, try another method.
        With an `Idempotency-Key`, a retry gets the first answer again, a decline included."""
        return idempotent.respond(lambda: to_payment(payments.pay(current_user, booking_id, data.payment_method)))

    @get("/payment", operation_id="getBookingPayment", sync_to_thread=True, responses=problems(401, 404))
    def payment(
        self, booking_id: FromPath[uuid.UUID], payments: NamedDependency[Payments], current_user: NamedDependency[User]
    ) -> Payment:
        """The booking's payment, for its guest, its host or an administrator; 404 before any attempt."""
        return to_payment(payments.payment(current_user, booking_id))

    @post(
        "/approve",
        operation_id="approveBooking",
        status_code=HTTP_200_OK,
        sync_to_thread=True,
        responses=problems(401, 403, 404, 409),
    )
    def approve(
        self, booking_id: FromPath[uuid.UUID], payments: NamedDependency[Payments], current_user: NamedDependency[User]
    ) -> Booking:
        """Accept a request to book as the property's host: the card is captured and the booking confirmed."""
        return to_booking(payments.approve(current_user, booking_id))

    @post(
        "/decline",
        operation_id="declineBooking",
        status_code=HTTP_200_OK,
        sync_to_thread=True,
        responses=problems(401, 403, 404, 409),
    )
    def decline(
        self, booking_id: FromPath[uuid.UUID], payments: NamedDependency[Payments], current_user: NamedDependency[User]
    ) -> Booking:
        """Turn down a request to book as the property's host: the card's authorization is released."""
        return to_booking(payments.decline(current_user, booking_id))

    @post(
        "/reviews",
        operation_id="reviewBooking",
        status_code=HTTP_201_CREATED,
        sync_to_thread=True,
        responses=problems(401, 403, 404, 409, body=True),
    )
    def review(
        self,
        booking_id: FromPath[uuid.UUID],
        data: JSONBody[ReviewCreate],
        reviews: NamedDependency[Reviews],
        current_user: NamedDependency[User],
    ) -> Review:
        """Review a confirmed stay as its guest once its check-out has passed; once (409 `already_reviewed`)."""
        return to_review(reviews.write(current_user, booking_id, rating=data.rating, comment=data.comment))
