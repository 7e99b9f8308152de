"""A payment gateway that answers like a provider's test mode, in process memory.

It keeps the provider's rules the use cases rely on, as the sandbox provider does in its tables: an
idempotency key names one request forever (asked again, the first answer comes back; asked with other
parameters, a ``Conflict``), a captured intent cannot be voided nor a voided one captured, and refunds
never exceed the capture. ``unreachable`` makes every call fail as an outage would.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass

from airbnb_core.domain.errors import Conflict, InvalidInput, InvalidTransition, NotFound, ServiceUnavailable
from airbnb_core.domain.money import Money
from airbnb_core.ports.payments import (
    STRIPE_TEST_PAYMENT_METHODS,
    IntentStatus,
    ProviderEvent,
    ProviderIntent,
    ProviderOutcome,
    ProviderPayment,
)


@dataclass(slots=True)
class Intent:
    id: str
    request: tuple[Money, str, bool]  # amount, payment method, capture
    outcome: ProviderOutcome
    decline_code: str | None
    status: str  # requires_capture, succeeded, canceled, failed
    refunded: int = 0


class InMemoryPaymentGateway:
    name = "inmemory"

    def __init__(self, webhook_secret: bytes = b"whsec_inmemory") -> None:
        self._secret = webhook_secret
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self.intents: dict[str, Intent] = {}
        self._by_key: dict[str, Intent] = {}
        self._refunds: dict[str, tuple[str, Money]] = {}
        self.unreachable = False

    def create(self, amount: Money, *, payment_method: str, capture: bool, idempotency_key: str) -> ProviderPayment:
        self._reachable()
        if payment_method not in STRIPE_TEST_PAYMENT_METHODS:
            raise InvalidInput.field("payment_method", "is not one of Stripe's test payment methods")
        with self._lock:
            intent = self._by_key.get(idempotency_key)
            if intent is None:
                decline = STRIPE_TEST_PAYMENT_METHODS[payment_method]
                if decline is not None:
                    outcome, status = ProviderOutcome.DECLINED, "failed"
                elif capture:
                    outcome, status = ProviderOutcome.SUCCEEDED, "succeeded"
                else:
                    outcome, status = ProviderOutcome.AUTHORIZED, "requires_capture"
                intent = Intent(
                    f"pi_mem_{next(self._ids)}", (amount, payment_method, capture), outcome, decline, status
                )
                self._by_key[idempotency_key] = self.intents[intent.id] = intent
            elif intent.request != (amount, payment_method, capture):
                raise Conflict("idempotency key reused with other parameters", code="idempotency_key_reused")
        return ProviderPayment(intent.id, intent.outcome, intent.decline_code)

    def capture(self, provider_payment_id: str) -> None:
        self._move(provider_payment_id, "succeeded")

    def void(self, provider_payment_id: str) -> None:
        self._move(provider_payment_id, "canceled")

    def refund(self, provider_payment_id: str, amount: Money, *, idempotency_key: str) -> None:
        self._reachable()
        with self._lock:
            intent = self._intent(provider_payment_id)
            done = self._refunds.get(idempotency_key)
            if done is not None:
                if done != (provider_payment_id, amount):
                    raise Conflict("idempotency key reused with other parameters", code="idempotency_key_reused")
                return
            captured = intent.request[0]
            if intent.status != "succeeded" or not 0 < amount.amount <= captured.amount - intent.refunded:
                raise InvalidTransition(f"cannot refund {amount.amount} of a {intent.status} payment intent")
            intent.refunded += amount.amount
            self._refunds[idempotency_key] = (provider_payment_id, amount)

    def retrieve(self, provider_payment_id: str) -> ProviderIntent:
        self._reachable()
        with self._lock:
            intent = self._intent(provider_payment_id)
            amount = intent.request[0].amount
            captured = amount if intent.status == "succeeded" else 0
            return ProviderIntent(intent.id, IntentStatus(intent.status), amount, captured, intent.refunded)

    def parse_webhook(self, payload: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        expected = hmac.new(self._secret, payload, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, headers.get("x-signature", "")):
            raise InvalidInput("webhook signature does not match", code="bad_signature")
        event = json.loads(payload)
        return ProviderEvent(event["id"], event["type"], event["payment_id"])

    def status(self, provider_payment_id: str) -> tuple[str, int]:
        """The intent's status and refunded amount, for tests to compare with the application's records."""
        intent = self._intent(provider_payment_id)
        return intent.status, intent.refunded

    def _move(self, provider_payment_id: str, to: str) -> None:
        self._reachable()
        with self._lock:
            intent = self._intent(provider_payment_id)
            if intent.status == "requires_capture":
                intent.status = to
            elif intent.status != to:
                raise InvalidTransition(f"cannot move a {intent.status} payment intent to {to}")

    def _intent(self, provider_payment_id: str) -> Intent:
        intent = self.intents.get(provider_payment_id)
        if intent is None:
            raise NotFound(f"no payment intent {provider_payment_id}")
        return intent

    def _reachable(self) -> None:
        if self.unreachable:
            raise ServiceUnavailable("the payment provider cannot be reached")
