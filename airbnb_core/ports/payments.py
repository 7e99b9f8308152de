"""The payment-gateway port: what the core asks of any payment provider."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from airbnb_core.domain.money import Money


class ProviderOutcome(enum.StrEnum):
    AUTHORIZED = "authorized"
    SUCCEEDED = "succeeded"
    DECLINED = "declined"


@dataclass(frozen=True, slots=True)
class ProviderPayment:
    provider_payment_id: str
    outcome: ProviderOutcome
    decline_reason: str | None = None


@dataclass(frozen=True, slots=True)
class ProviderEvent:
    """A webhook the provider signed, turned into what it means for a payment."""

    event_id: str
    type: str
    provider_payment_id: str


class PaymentGateway(Protocol):
    name: str

    def create(self, amount: Money, *, payment_method: str, capture: bool, idempotency_key: str) -> ProviderPayment:
        """Charge (``capture``) or only authorize ``amount``; a decline is an outcome, not an error."""

    def capture(self, provider_payment_id: str) -> None: ...

    def void(self, provider_payment_id: str) -> None: ...

    def refund(self, provider_payment_id: str, amount: Money, *, idempotency_key: str) -> None: ...

    def parse_webhook(self, payload: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        """Verify the signature and decode; raises ``InvalidInput`` when it cannot be trusted."""
