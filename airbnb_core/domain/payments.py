"""Payments: what the provider holds for one booking."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime

from airbnb_core.domain.errors import InvalidTransition


class PaymentStatus(enum.StrEnum):
    AUTHORIZED = "authorized"  # card held, not captured: request-to-book awaiting the host
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    VOIDED = "voided"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


@dataclass(slots=True)
class Payment:
    id: uuid.UUID
    booking_id: uuid.UUID
    amount: int
    currency: str
    provider: str
    provider_payment_id: str
    payment_method: str
    payment_status: PaymentStatus
    created_at: datetime
    updated_at: datetime
    refunded_amount: int = 0

    def captured(self, now: datetime) -> None:
        self._require(PaymentStatus.AUTHORIZED, "capture")
        self._move(PaymentStatus.SUCCEEDED, now)

    def voided(self, now: datetime) -> None:
        self._require(PaymentStatus.AUTHORIZED, "void")
        self._move(PaymentStatus.VOIDED, now)

    def refunded(self, amount: int, now: datetime) -> None:
        if self.payment_status not in (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED):
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
