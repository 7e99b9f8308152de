"""Payments: what the provider holds for one booking, and the attempts that led there."""

from __future__ import annotations

import enum
import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from airbnb_core.domain.errors import InvalidInput, InvalidTransition
from airbnb_core.domain.money import Money


class PaymentStatus(enum.StrEnum):
    # An attempt is under way: the provider may or may not have charged. Stored *before* the provider
    # is called, so that a retry after a crash resumes this attempt with its idempotency key.
    PROCESSING = "processing"
    AUTHORIZED = "authorized"  # card held, not captured: request-to-book awaiting the host
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # the last attempt was declined; the guest may try another payment method
    VOIDED = "voided"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


# A provider's payment method id (Stripe's ``pm_…``): never a card number, which must not reach us at all.
PAYMENT_METHOD_PATTERN = re.compile(r"pm_[A-Za-z0-9_]{1,252}")


def check_payment_method(payment_method: str) -> str:
    if not PAYMENT_METHOD_PATTERN.fullmatch(payment_method):
        raise InvalidInput.field(
            "payment_method", "must be a payment method id such as pm_card_visa, never card details"
        )
    return payment_method


# Money has been taken (captured) and not all of it given back.
CAPTURED_STATUSES = frozenset({PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED})


@dataclass(slots=True)
class Payment:
    id: uuid.UUID
    booking_id: uuid.UUID
    amount: int
    currency: str
    provider: str
    provider_payment_id: str | None
    payment_method: str
    payment_status: PaymentStatus
    created_at: datetime
    updated_at: datetime
    refunded_amount: int = 0
    attempts: int = 1
    failure_code: str | None = None

    @classmethod
    def attempt(
        cls, *, booking_id: uuid.UUID, amount: Money, provider: str, payment_method: str, now: datetime
    ) -> Payment:
        """The first attempt to pay for a booking, before the provider is asked."""
        return cls(
            id=uuid.uuid4(),
            booking_id=booking_id,
            amount=amount.amount,
            currency=amount.currency,
            provider=provider,
            provider_payment_id=None,
            payment_method=payment_method,
            payment_status=PaymentStatus.PROCESSING,
            created_at=now,
            updated_at=now,
        )

    @property
    def idempotency_key(self) -> str:
        """The provider's key for the current attempt: asking again with it can never charge twice."""
        return f"booking-{self.booking_id}-payment-{self.attempts}"

    @property
    def money(self) -> Money:
        return Money(self.amount, self.currency)

    def retry(self, payment_method: str, now: datetime) -> None:
        """Start another attempt after a decline, perhaps with another payment method."""
        self._require(PaymentStatus.FAILED, "retry")
        self.attempts += 1
        self.payment_method, self.failure_code, self.provider_payment_id = payment_method, None, None
        self._move(PaymentStatus.PROCESSING, now)

    def authorized(self, provider_payment_id: str, now: datetime) -> None:
        self._require(PaymentStatus.PROCESSING, "authorize")
        self.provider_payment_id = provider_payment_id
        self._move(PaymentStatus.AUTHORIZED, now)

    def succeeded(self, provider_payment_id: str, now: datetime) -> None:
        self._require(PaymentStatus.PROCESSING, "charge")
        self.provider_payment_id = provider_payment_id
        self._move(PaymentStatus.SUCCEEDED, now)

    def declined(self, provider_payment_id: str | None, failure_code: str, now: datetime) -> None:
        self._require(PaymentStatus.PROCESSING, "decline")
        self.provider_payment_id, self.failure_code = provider_payment_id, failure_code
        self._move(PaymentStatus.FAILED, now)

    def captured(self, now: datetime) -> None:
        self._require(PaymentStatus.AUTHORIZED, "capture")
        self._move(PaymentStatus.SUCCEEDED, now)

    def voided(self, now: datetime) -> None:
        self._require(PaymentStatus.AUTHORIZED, "void")
        self._move(PaymentStatus.VOIDED, now)

    def refunded(self, amount: int, now: datetime) -> None:
        if self.payment_status not in CAPTURED_STATUSES:
            raise InvalidTransition(f"cannot refund a {self.payment_status} payment")
        if not 0 < amount <= self.amount - self.refunded_amount:
            raise InvalidTransition("refund exceeds what is left of the payment")
        self.refunded_amount += amount
        full = self.refunded_amount == self.amount
        self._move(PaymentStatus.REFUNDED if full else PaymentStatus.PARTIALLY_REFUNDED, now)

    def _require(self, status: PaymentStatus, action: str) -> None:
        if self.payment_status is not status:
            raise InvalidTransition(f"cannot {action} a {self.payment_status} payment")

    def _move(self, status: PaymentStatus, now: datetime) -> None:
        self.payment_status = status
        self.updated_at = now
