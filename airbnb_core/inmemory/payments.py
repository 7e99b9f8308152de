"""A payment gateway that answers like a provider's test mode, without a network."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from airbnb_core.domain.errors import InvalidInput
from airbnb_core.domain.money import Money
from airbnb_core.ports.payments import ProviderEvent, ProviderOutcome, ProviderPayment


class FakePaymentGateway:
    """Understands Stripe's test payment methods.

    ``pm_card_visa`` succeeds and ``pm_card_chargeDeclined`` is declined.
    """

    name = "fake"

    def __init__(self, webhook_secret: bytes = b"whsec_fake") -> None:
        self._secret = webhook_secret
        self.payments: dict[str, dict[str, Any]] = {}

    def create(self, amount: Money, *, payment_method: str, capture: bool, idempotency_key: str) -> ProviderPayment:
        pid = f"fake_{hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]}"
        if payment_method == "pm_card_chargeDeclined":
            return ProviderPayment(pid, ProviderOutcome.DECLINED, "card_declined")
        outcome = ProviderOutcome.SUCCEEDED if capture else ProviderOutcome.AUTHORIZED
        self.payments.setdefault(pid, {"amount": amount, "status": outcome.value, "refunded": 0})
        return ProviderPayment(pid, outcome)

    def capture(self, provider_payment_id: str) -> None:
        self.payments[provider_payment_id]["status"] = ProviderOutcome.SUCCEEDED.value

    def void(self, provider_payment_id: str) -> None:
        self.payments[provider_payment_id]["status"] = "voided"

    def refund(self, provider_payment_id: str, amount: Money, *, idempotency_key: str) -> None:
        self.payments[provider_payment_id]["refunded"] += amount.amount

    def parse_webhook(self, payload: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        expected = hmac.new(self._secret, payload, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, headers.get("x-signature", "")):
            raise InvalidInput("webhook signature does not match", code="bad_signature")
        event = json.loads(payload)
        return ProviderEvent(event["id"], event["type"], event["payment_id"])
