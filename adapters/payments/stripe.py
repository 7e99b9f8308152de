"""The Stripe payment provider: PaymentIntents through the official ``stripe`` package.

Request to book authorizes (``capture_method="manual"``) and the host's approval captures; instant book
charges at once. Every call that changes something carries an idempotency key, so that a call retried
after a lost answer (by the Stripe client's own retries or by our caller) never charges, captures or
refunds twice: create and refund use the caller's key, capture and cancel one derived from the intent.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import stripe

from adapters.payments.registry import ProviderContext
from airbnb_core.domain.errors import Conflict, InvalidInput, InvalidTransition, NotFound, ServiceUnavailable
from airbnb_core.domain.money import Money
from airbnb_core.ports.payments import IntentStatus, ProviderEvent, ProviderIntent, ProviderOutcome, ProviderPayment

logger = logging.getLogger(__name__)

# Stripe's default: a signed webhook older than this is refused as a possible replay.
WEBHOOK_TOLERANCE_SECONDS = 300
# Long enough for a 3-D Secure-free card charge, short enough that a guest is not left waiting on an outage.
REQUEST_TIMEOUT_SECONDS = 20.0
# Safe because every mutating call is idempotent; Stripe's client backs off between attempts.
MAX_NETWORK_RETRIES = 2

# The decline reasons the core tells apart (the sandbox's); any other decline is a plain ``card_declined``.
DECLINE_REASONS = ("insufficient_funds", "authentication_required")

_STATUSES = {
    "requires_capture": IntentStatus.REQUIRES_CAPTURE,
    "succeeded": IntentStatus.SUCCEEDED,
    "canceled": IntentStatus.CANCELED,
    # Stripe keeps a declined intent open for another payment method; to us that attempt failed.
    "requires_payment_method": IntentStatus.FAILED,
    "requires_confirmation": IntentStatus.FAILED,
    # 3-D Secure wants the guest at a browser, which a server-side payment does not have.
    "requires_action": IntentStatus.FAILED,
}


def stripe_client(
    api_key: str,
    api_base: str | None = None,
    *,
    timeout: float = REQUEST_TIMEOUT_SECONDS,
    max_network_retries: int = MAX_NETWORK_RETRIES,
) -> stripe.StripeClient:
    """A client of its own rather than ``stripe.api_key``: nothing global, and tests point one at a local server."""
    return stripe.StripeClient(
        api_key,
        base_addresses={"api": api_base} if api_base else None,
        max_network_retries=max_network_retries,
        http_client=stripe.new_default_http_client(timeout=timeout),
    )


class StripePaymentGateway:
    """A ``PaymentGateway`` over Stripe's PaymentIntents and Refunds."""

    name = "stripe"

    def __init__(self, client: stripe.StripeClient, *, webhook_secret: str | None) -> None:
        self._client = client
        self._webhook_secret = webhook_secret

    def create(self, amount: Money, *, payment_method: str, capture: bool, idempotency_key: str) -> ProviderPayment:
        _require_positive(amount)
        params: Any = {
            "amount": amount.amount,
            "currency": amount.currency.lower(),
            "payment_method": payment_method,
            # Cards only: confirming at once needs no return URL for a redirecting payment method.
            "payment_method_types": ["card"],
            "confirm": True,
            "capture_method": "automatic" if capture else "manual",
        }
        try:
            with _reachable():
                intent = self._client.v1.payment_intents.create(params, {"idempotency_key": idempotency_key})
        except stripe.CardError as error:
            return ProviderPayment(self._declined_intent_id(error), ProviderOutcome.DECLINED, _reason_of(error.error))
        except stripe.InvalidRequestError as error:
            if error.http_status == 404 or error.code == "resource_missing" or error.param == "payment_method":
                raise InvalidInput.field("payment_method", "is not a payment method Stripe knows") from error
            raise InvalidInput(f"Stripe refused the payment: {error.user_message or error}") from error
        status = _STATUSES.get(intent.status)
        if intent.status == "requires_action":
            return ProviderPayment(intent.id, ProviderOutcome.DECLINED, "authentication_required")
        if status is IntentStatus.SUCCEEDED:
            return ProviderPayment(intent.id, ProviderOutcome.SUCCEEDED)
        if status is IntentStatus.REQUIRES_CAPTURE:
            return ProviderPayment(intent.id, ProviderOutcome.AUTHORIZED)
        if status is IntentStatus.FAILED:
            return ProviderPayment(intent.id, ProviderOutcome.DECLINED, _reason_of(intent.last_payment_error))
        # "processing": a card answers at once, so this is Stripe being slow; the retry replays the key.
        raise ServiceUnavailable(f"Stripe has not settled payment {intent.id} yet ({intent.status}); try again")

    def capture(self, provider_payment_id: str) -> None:
        """Capture the whole authorization; capturing a captured intent again changes nothing."""
        try:
            with _reachable(), _known(provider_payment_id):
                intent = self._client.v1.payment_intents.capture(
                    provider_payment_id, options={"idempotency_key": f"{provider_payment_id}-capture"}
                )
        except stripe.InvalidRequestError:
            # Stripe refuses to capture a captured intent as it refuses a canceled one: the state tells them apart.
            self._require_status(provider_payment_id, IntentStatus.SUCCEEDED, "capture")
            return
        _require_moved(intent, IntentStatus.SUCCEEDED, "capture")

    def void(self, provider_payment_id: str) -> None:
        """Cancel an authorization; canceling a canceled intent again changes nothing."""
        try:
            with _reachable(), _known(provider_payment_id):
                intent = self._client.v1.payment_intents.cancel(
                    provider_payment_id, options={"idempotency_key": f"{provider_payment_id}-cancel"}
                )
        except stripe.InvalidRequestError:
            self._require_status(provider_payment_id, IntentStatus.CANCELED, "void")
            return
        _require_moved(intent, IntentStatus.CANCELED, "void")

    def refund(self, provider_payment_id: str, amount: Money, *, idempotency_key: str) -> None:
        _require_positive(amount)
        try:
            with _reachable(), _known(provider_payment_id):
                self._client.v1.refunds.create(
                    {"payment_intent": provider_payment_id, "amount": amount.amount},
                    {"idempotency_key": idempotency_key},
                )
        except stripe.InvalidRequestError as error:
            # The request is well formed (a positive amount of a known intent): what Stripe refuses is
            # the intent's state, nothing captured yet or not that much left (``amount_too_large``…).
            raise InvalidTransition(f"Stripe refused the refund: {error.user_message or error}") from error

    def retrieve(self, provider_payment_id: str) -> ProviderIntent:
        with _reachable(), _known(provider_payment_id):
            intent = self._client.v1.payment_intents.retrieve(provider_payment_id, {"expand": ["latest_charge"]})
        status = _STATUSES.get(intent.status)
        if status is None:
            raise ServiceUnavailable(f"Stripe has not settled payment {intent.id} yet ({intent.status}); try again")
        charge = intent.latest_charge
        refunded = charge.amount_refunded if isinstance(charge, stripe.Charge) else 0
        received = getattr(intent, "amount_received", None)
        if received is None:  # not every Stripe-compatible server reports it; we only ever capture in full
            received = intent.amount if status is IntentStatus.SUCCEEDED else 0
        return ProviderIntent(intent.id, status, intent.amount, received, refunded)

    def parse_webhook(self, payload: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        """Verify the ``Stripe-Signature`` with the endpoint's secret, then read which payment the event is about."""
        if not self._webhook_secret:
            raise InvalidInput("no Stripe webhook secret is configured to verify webhooks", code="bad_signature")
        header = next((value for name, value in headers.items() if name.lower() == "stripe-signature"), None)
        try:
            event = self._client.construct_event(
                payload, header, self._webhook_secret, tolerance=WEBHOOK_TOLERANCE_SECONDS
            )
        except stripe.SignatureVerificationError:
            raise InvalidInput("the webhook's Stripe-Signature cannot be trusted", code="bad_signature") from None
        except ValueError:
            raise InvalidInput("the webhook is not a Stripe event", code="bad_webhook_payload") from None
        try:
            payment = event.data.object
            if payment.object == "charge":  # charge.refunded: the charge names its intent
                payment_id, refunded = payment.payment_intent, payment.amount_refunded
            else:
                payment_id, refunded = payment.id, None
        except (AttributeError, KeyError):
            payment_id = None
        if not isinstance(payment_id, str) or not payment_id:
            raise InvalidInput("the webhook's event names no payment intent", code="bad_webhook_payload")
        return ProviderEvent(event.id, event.type, payment_id, refunded)

    def _declined_intent_id(self, error: stripe.CardError) -> str:
        details = error.error
        intent = getattr(details, "payment_intent", None) if details is not None else None
        if intent is not None:
            return str(intent.id)
        # Stripe names the intent in the error; a Stripe-compatible test server may name only the charge.
        charge_id = getattr(details, "charge", None)
        if not charge_id:
            raise ServiceUnavailable("Stripe declined the payment without naming it; try again") from error
        with _reachable():
            return str(self._client.v1.charges.retrieve(charge_id).payment_intent)

    def _require_status(self, provider_payment_id: str, status: IntentStatus, action: str) -> None:
        current = self.retrieve(provider_payment_id).status
        if current is not status:
            raise InvalidTransition(f"cannot {action} a {current} payment intent")


def _require_positive(amount: Money) -> None:
    if amount.amount < 1:
        raise InvalidInput.field("amount", "must be at least one minor unit")


def _require_moved(intent: stripe.PaymentIntent, status: IntentStatus, action: str) -> None:
    # What Stripe answers is the intent after the call: believe its status over the call's success.
    if intent.status != status:
        raise InvalidTransition(f"cannot {action} a {intent.status} payment intent")


def _reason_of(payment_error: Any) -> str:
    """The reason of Stripe's error object (a ``CardError``'s, an intent's ``last_payment_error``)."""
    codes = (getattr(payment_error, "decline_code", None), getattr(payment_error, "code", None))
    return next((code for code in codes if code in DECLINE_REASONS), "card_declined")


@contextmanager
def _reachable() -> Iterator[None]:
    """Stripe down, slow, overloaded or limiting our rate: the provider cannot be reached just now."""
    try:
        yield
    except stripe.IdempotencyError as error:
        raise Conflict(
            f"the idempotency key was already used with other parameters: {error.user_message or error}",
            code="idempotency_key_reused",
        ) from error
    except (stripe.APIConnectionError, stripe.APIError, stripe.RateLimitError) as error:
        raise ServiceUnavailable("Stripe cannot be reached; try again shortly") from error
    except (stripe.AuthenticationError, stripe.PermissionError) as error:
        # The operator's key is wrong or revoked: nothing the client did, and nothing it can fix. Logged loudly
        # for the operator, answered as an outage so that the client retries later rather than seeing a 500.
        logger.error("Stripe refused the configured API key: %s", error)
        raise ServiceUnavailable("the payment provider is unavailable; try again later") from error


@contextmanager
def _known(provider_payment_id: str) -> Iterator[None]:
    try:
        yield
    except stripe.InvalidRequestError as error:
        if error.http_status == 404 or error.code == "resource_missing":
            raise NotFound(f"Stripe has no payment intent {provider_payment_id}") from error
        raise


def from_context(context: ProviderContext) -> StripePaymentGateway:
    """The ``stripe`` entry point (``adapters.payments.registry``)."""
    settings = context.settings
    api_key = settings.get("stripe_api_key")
    if not api_key:
        raise ValueError("the stripe payment provider needs AIRBNB_STRIPE_API_KEY")
    return StripePaymentGateway(
        stripe_client(str(api_key), settings.get("stripe_api_base") or None),
        webhook_secret=settings.get("stripe_webhook_secret") or None,
    )
