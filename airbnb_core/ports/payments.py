"""The payment-gateway port: what the core asks of any payment provider."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from airbnb_core.domain.money import Money

# Stripe's test payment methods and the decline code each gets (None: the card is charged). The sandbox
# provider and the in-memory gateway both understand exactly these, so that tests and clients written
# against either work unchanged on Stripe's test mode.
STRIPE_TEST_PAYMENT_METHODS: Mapping[str, str | None] = {
    "pm_card_visa": None,
    "pm_card_mastercard": None,
    "pm_card_chargeDeclined": "card_declined",
    "pm_card_chargeDeclinedInsufficientFunds": "insufficient_funds",
    "pm_card_authenticationRequired": "authentication_required",
}


class ProviderOutcome(enum.StrEnum):
    AUTHORIZED = "authorized"
    SUCCEEDED = "succeeded"
    DECLINED = "declined"


@dataclass(frozen=True, slots=True)
class ProviderPayment:
    provider_payment_id: str
    outcome: ProviderOutcome
    decline_reason: str | None = None


class IntentStatus(enum.StrEnum):
    """Where a payment stands at the provider, in Stripe's PaymentIntent words."""

    REQUIRES_CAPTURE = "requires_capture"  # authorized
    SUCCEEDED = "succeeded"  # captured (refunds do not change it)
    CANCELED = "canceled"  # voided
    FAILED = "failed"  # declined


@dataclass(frozen=True, slots=True)
class ProviderIntent:
    """A payment as the provider holds it now: what reconciliation compares with our records."""

    provider_payment_id: str
    status: IntentStatus
    amount: int
    amount_captured: int
    amount_refunded: int


@dataclass(frozen=True, slots=True)
class ProviderEvent:
    """A webhook the provider signed, turned into what it means for a payment.

    ``amount_refunded`` is the charge's total refunded so far, on ``charge.refunded``; else None.
    """

    event_id: str
    type: str
    provider_payment_id: str
    amount_refunded: int | None = None


class PaymentGateway(Protocol):
    name: str

    def create(self, amount: Money, *, payment_method: str, capture: bool, idempotency_key: str) -> ProviderPayment:
        """Charge (``capture``) or only authorize ``amount``; a decline is an outcome, not an error."""

    def capture(self, provider_payment_id: str) -> None:
        """Capture an authorization; again changes nothing; ``InvalidTransition`` once it was voided."""

    def void(self, provider_payment_id: str) -> None:
        """Release an authorization; again changes nothing; ``InvalidTransition`` once it was captured."""

    def refund(self, provider_payment_id: str, amount: Money, *, idempotency_key: str) -> None:
        """Give back part of a capture, once per key; the same key with another amount is a ``Conflict``."""

    def retrieve(self, provider_payment_id: str) -> ProviderIntent:
        """The payment as the provider holds it now; ``NotFound`` when it has none of that id."""

    def parse_webhook(self, payload: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        """Verify the signature and decode; raises ``InvalidInput`` when it cannot be trusted."""
