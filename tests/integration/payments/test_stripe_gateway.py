"""The Stripe payment provider, over HTTP against localstripe, and against Stripe's recorded answers where
localstripe does not behave as Stripe does.

localstripe has no idempotency layer (a reused key makes another intent), declines only with
``card_declined``, never refuses a refund beyond what is left or of a canceled intent, and knows
only some of Stripe's test payment methods. The tests of those parts hand the Stripe client an HTTP
client that answers with the responses Stripe documents (https://docs.stripe.com/api/errors,
https://docs.stripe.com/api/idempotent_requests), so the gateway's own code is what is tested.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import stripe

from adapters.payments.registry import ProviderContext, load_provider
from adapters.payments.stripe import StripePaymentGateway, stripe_client
from airbnb_core.domain.errors import Conflict, InvalidInput, InvalidTransition, NotFound, ServiceUnavailable
from airbnb_core.domain.money import Money
from airbnb_core.inmemory import FixedClock
from airbnb_core.ports.payments import IntentStatus, ProviderEvent, ProviderIntent, ProviderOutcome, ProviderPayment
from tests.support.localstripe import API_KEY, AUTHENTICATION_CARD, DECLINED_CARD, free_port

NOW = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
HUNDRED = Money(10_000, "EUR")
WEBHOOK_SECRET = "whsec_stripe_test"


@pytest.fixture
def client(localstripe_url: str) -> stripe.StripeClient:
    return stripe_client(API_KEY, localstripe_url, max_network_retries=0)


@pytest.fixture
def gateway(client: stripe.StripeClient) -> StripePaymentGateway:
    return StripePaymentGateway(client, webhook_secret=WEBHOOK_SECRET)


def card(client: stripe.StripeClient, number: str) -> str:
    """A payment method of a test card number: localstripe lacks Stripe's ``pm_card_…`` ids for most of them."""
    method = client.v1.payment_methods.create(
        {"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"}}
    )
    return method.id


@pytest.mark.parametrize(
    ("capture", "outcome", "status", "captured"),
    [
        (True, ProviderOutcome.SUCCEEDED, IntentStatus.SUCCEEDED, 10_000),
        (False, ProviderOutcome.AUTHORIZED, IntentStatus.REQUIRES_CAPTURE, 0),
    ],
)
def test_a_good_card_is_charged_or_only_authorized(
    gateway: StripePaymentGateway, capture: bool, outcome: ProviderOutcome, status: IntentStatus, captured: int
) -> None:
    payment = gateway.create(HUNDRED, payment_method="pm_card_visa", capture=capture, idempotency_key="k1")
    assert payment.outcome is outcome and payment.decline_reason is None
    assert payment.provider_payment_id.startswith("pi_")
    assert gateway.retrieve(payment.provider_payment_id) == ProviderIntent(
        payment.provider_payment_id, status, 10_000, captured, 0
    )


@pytest.mark.parametrize("capture", [True, False])
def test_a_declined_card_is_a_declined_outcome_that_cannot_be_captured_or_refunded(
    gateway: StripePaymentGateway, client: stripe.StripeClient, capture: bool
) -> None:
    for method in ["pm_card_chargeCustomerFail", card(client, DECLINED_CARD)]:
        payment = gateway.create(HUNDRED, payment_method=method, capture=capture, idempotency_key=f"k-{method}")
        assert (payment.outcome, payment.decline_reason) == (ProviderOutcome.DECLINED, "card_declined")
        assert gateway.retrieve(payment.provider_payment_id).status is IntentStatus.FAILED
        with pytest.raises(InvalidTransition):
            gateway.capture(payment.provider_payment_id)
        with pytest.raises(InvalidTransition):
            gateway.refund(payment.provider_payment_id, HUNDRED, idempotency_key=f"r-{method}")


def test_a_card_that_wants_3d_secure_is_declined_as_authentication_required(
    gateway: StripePaymentGateway, client: stripe.StripeClient
) -> None:
    # Stripe leaves the intent in requires_action for the guest's browser, which a server-side payment has not.
    payment = gateway.create(
        HUNDRED, payment_method=card(client, AUTHENTICATION_CARD), capture=True, idempotency_key="3ds"
    )
    assert (payment.outcome, payment.decline_reason) == (ProviderOutcome.DECLINED, "authentication_required")
    assert gateway.retrieve(payment.provider_payment_id).status is IntentStatus.FAILED


@pytest.mark.parametrize("method", ["pm_card_amex_typo", "pm_1NoSuchMethod"])
def test_an_unknown_payment_method_is_invalid_input(gateway: StripePaymentGateway, method: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        gateway.create(HUNDRED, payment_method=method, capture=True, idempotency_key="k1")
    [error] = refused.value.errors
    assert error.field == "payment_method"


@pytest.mark.parametrize("amount", [0, -1])
def test_a_charge_or_refund_of_nothing_is_invalid_input(gateway: StripePaymentGateway, amount: int) -> None:
    with pytest.raises(InvalidInput):
        gateway.create(Money(amount, "EUR"), payment_method="pm_card_visa", capture=True, idempotency_key="k1")
    paid = gateway.create(HUNDRED, payment_method="pm_card_visa", capture=True, idempotency_key="k2")
    with pytest.raises(InvalidInput):
        gateway.refund(paid.provider_payment_id, Money(amount, "EUR"), idempotency_key="r1")
    assert gateway.retrieve(paid.provider_payment_id).amount_refunded == 0


def test_authorize_capture_twice_then_refund_part_and_the_rest(gateway: StripePaymentGateway) -> None:
    intent_id = gateway.create(
        HUNDRED, payment_method="pm_card_visa", capture=False, idempotency_key="pay"
    ).provider_payment_id
    gateway.capture(intent_id)
    gateway.capture(intent_id)  # a retried capture changes nothing
    assert gateway.retrieve(intent_id) == ProviderIntent(intent_id, IntentStatus.SUCCEEDED, 10_000, 10_000, 0)

    gateway.refund(intent_id, Money(3_000, "EUR"), idempotency_key="refund-1")
    assert gateway.retrieve(intent_id).amount_refunded == 3_000
    gateway.refund(intent_id, Money(7_000, "EUR"), idempotency_key="refund-2")
    assert gateway.retrieve(intent_id) == ProviderIntent(intent_id, IntentStatus.SUCCEEDED, 10_000, 10_000, 10_000)


def test_void_releases_an_authorization_once_and_it_cannot_be_captured_after(gateway: StripePaymentGateway) -> None:
    intent_id = gateway.create(
        HUNDRED, payment_method="pm_card_visa", capture=False, idempotency_key="k"
    ).provider_payment_id
    gateway.void(intent_id)
    gateway.void(intent_id)  # a retried void changes nothing
    assert gateway.retrieve(intent_id) == ProviderIntent(intent_id, IntentStatus.CANCELED, 10_000, 0, 0)
    with pytest.raises(InvalidTransition, match="canceled"):
        gateway.capture(intent_id)


def test_a_captured_charge_cannot_be_voided(gateway: StripePaymentGateway) -> None:
    intent_id = gateway.create(
        HUNDRED, payment_method="pm_card_visa", capture=True, idempotency_key="k"
    ).provider_payment_id
    with pytest.raises(InvalidTransition, match="succeeded"):
        gateway.void(intent_id)
    assert gateway.retrieve(intent_id).status is IntentStatus.SUCCEEDED


def test_an_unknown_intent_is_not_found(gateway: StripePaymentGateway) -> None:
    with pytest.raises(NotFound):
        gateway.capture("pi_nope")
    with pytest.raises(NotFound):
        gateway.void("pi_nope")
    with pytest.raises(NotFound):
        gateway.refund("pi_nope", HUNDRED, idempotency_key="r")
    with pytest.raises(NotFound):
        gateway.retrieve("pi_nope")


def test_an_unreachable_stripe_is_a_provider_outage() -> None:
    nobody = f"http://127.0.0.1:{free_port()}"
    gateway = StripePaymentGateway(stripe_client(API_KEY, nobody, max_network_retries=0), webhook_secret=None)
    with pytest.raises(ServiceUnavailable):
        gateway.create(HUNDRED, payment_method="pm_card_visa", capture=True, idempotency_key="k")
    for call in (gateway.capture, gateway.void, gateway.retrieve):
        with pytest.raises(ServiceUnavailable):
            call("pi_x")
    with pytest.raises(ServiceUnavailable):
        gateway.refund("pi_x", HUNDRED, idempotency_key="r")


def test_the_stripe_entry_point_builds_the_gateway_from_the_settings(localstripe_url: str) -> None:
    settings = {"stripe_api_key": API_KEY, "stripe_api_base": localstripe_url, "stripe_webhook_secret": WEBHOOK_SECRET}
    context = ProviderContext(engine=sa.create_engine("sqlite://"), clock=FixedClock(NOW), settings=settings)
    gateway = load_provider("stripe", context)
    assert isinstance(gateway, StripePaymentGateway)
    payment = gateway.create(HUNDRED, payment_method="pm_card_visa", capture=True, idempotency_key="k")
    assert payment.outcome is ProviderOutcome.SUCCEEDED
    with pytest.raises(ValueError, match="AIRBNB_STRIPE_API_KEY"):
        load_provider("stripe", ProviderContext(context.engine, context.clock, {**settings, "stripe_api_key": None}))


# Webhooks


def signed(payload: bytes, *, secret: str = WEBHOOK_SECRET, at: int | None = None) -> dict[str, str]:
    """A ``Stripe-Signature`` as Stripe makes it: an HMAC-SHA256 of ``"<t>.<body>"`` with the endpoint's secret."""
    timestamp = int(time.time()) if at is None else at
    signature = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return {"Stripe-Signature": f"t={timestamp},v1={signature}"}


def event(type_: str, payment: dict[str, Any]) -> bytes:
    return json.dumps({"id": "evt_1", "object": "event", "type": type_, "data": {"object": payment}}).encode()


INTENT = {"id": "pi_1", "object": "payment_intent", "amount": 10_000, "status": "succeeded"}


def test_a_signed_webhook_becomes_the_event_of_its_payment(gateway: StripePaymentGateway) -> None:
    payload = event("payment_intent.succeeded", INTENT)
    assert gateway.parse_webhook(payload, signed(payload)) == ProviderEvent("evt_1", "payment_intent.succeeded", "pi_1")
    charge = {"id": "ch_1", "object": "charge", "payment_intent": "pi_1", "amount_refunded": 2_500}
    payload = event("charge.refunded", charge)
    headers = {"stripe-signature": signed(payload)["Stripe-Signature"]}  # any spelling of the header's name
    assert gateway.parse_webhook(payload, headers) == ProviderEvent("evt_1", "charge.refunded", "pi_1", 2_500)


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param(lambda p: signed(p + b" "), id="tampered"),
        pytest.param(lambda p: signed(p, secret="whsec_other"), id="another secret"),
        pytest.param(lambda p: signed(p, at=int(time.time()) - 301), id="stale"),
        pytest.param(lambda p: {}, id="unsigned"),
        pytest.param(lambda p: {"Stripe-Signature": "t=oops,v1=beef"}, id="malformed"),
    ],
)
def test_a_webhook_that_cannot_be_trusted_is_refused(gateway: StripePaymentGateway, headers: Any) -> None:
    payload = event("payment_intent.succeeded", INTENT)
    with pytest.raises(InvalidInput) as refused:
        gateway.parse_webhook(payload, headers(payload))
    assert refused.value.code == "bad_signature"


def test_without_a_webhook_secret_no_webhook_is_trusted(client: stripe.StripeClient) -> None:
    payload = event("payment_intent.succeeded", INTENT)
    with pytest.raises(InvalidInput) as refused:
        StripePaymentGateway(client, webhook_secret=None).parse_webhook(payload, signed(payload))
    assert refused.value.code == "bad_signature"


def test_a_signed_webhook_that_names_no_payment_is_a_bad_payload(gateway: StripePaymentGateway) -> None:
    for payload in [b"not json", event("charge.refunded", {"id": "ch_1", "object": "charge"})]:
        with pytest.raises(InvalidInput) as refused:
            gateway.parse_webhook(payload, signed(payload))
        assert refused.value.code == "bad_webhook_payload"


class _WebhookInbox(BaseHTTPRequestHandler):
    received: list[tuple[bytes, dict[str, str]]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((body, dict(self.headers.items())))
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def webhook_inbox(localstripe_url: str, client: stripe.StripeClient) -> Iterator[list[tuple[bytes, dict[str, str]]]]:
    """localstripe's webhooks of successful payments, as it posts them to a registered endpoint."""
    received: list[tuple[bytes, dict[str, str]]] = []
    handler = type("Inbox", (_WebhookInbox,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/webhooks"
    httpx.post(
        f"{localstripe_url}/_config/webhooks/inbox",
        data={"url": url, "secret": WEBHOOK_SECRET, "events[]": "payment_intent.succeeded"},
    ).raise_for_status()
    yield received
    server.shutdown()
    server.server_close()


def test_a_webhook_localstripe_signed_is_verified_and_names_the_payment(
    gateway: StripePaymentGateway, webhook_inbox: list[tuple[bytes, dict[str, str]]]
) -> None:
    payment = gateway.create(HUNDRED, payment_method="pm_card_visa", capture=True, idempotency_key="hooked")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any(payment.provider_payment_id.encode() in b for b, _ in webhook_inbox):
        time.sleep(0.1)  # localstripe waits a second before it posts
    [(body, headers)] = [(b, h) for b, h in webhook_inbox if payment.provider_payment_id.encode() in b]
    parsed = gateway.parse_webhook(body, headers)
    assert (parsed.type, parsed.provider_payment_id) == ("payment_intent.succeeded", payment.provider_payment_id)
    with pytest.raises(InvalidInput):
        gateway.parse_webhook(body.replace(b"10000", b"1"), headers)


# Stripe's documented answers, where localstripe differs


@dataclass
class RecordedStripe(stripe.HTTPClient):
    """An HTTP client for ``stripe.StripeClient`` that answers with recorded Stripe responses, in order,
    and keeps the requests it was sent."""

    name = "recorded"
    answers: list[tuple[int, dict[str, Any]]]
    requests: list[tuple[str, str, Mapping[str, str], Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__()

    def request(
        self, method: str, url: str, headers: Mapping[str, str] | None, post_data: Any = None, *, _usage: Any = None
    ) -> tuple[str, int, Mapping[str, str]]:
        self.requests.append((method, url, dict(headers or {}), post_data))
        status, body = self.answers.pop(0)
        return json.dumps(body), status, {"Request-Id": "req_recorded"}

    def close(self) -> None:
        pass


def recorded(*answers: tuple[int, dict[str, Any]]) -> tuple[StripePaymentGateway, RecordedStripe]:
    http = RecordedStripe(list(answers))
    return StripePaymentGateway(
        stripe.StripeClient(API_KEY, http_client=http, max_network_retries=0), webhook_secret=None
    ), http


def intent(status: str, **fields: Any) -> dict[str, Any]:
    """The PaymentIntent fields the gateway reads, as Stripe spells them."""
    shape = {"id": "pi_3Rec", "object": "payment_intent", "amount": 10_000, "amount_received": 0, "currency": "eur"}
    return shape | {"status": status, "latest_charge": None, "last_payment_error": None} | fields


def card_error(code: str, decline_code: str | None, message: str) -> tuple[int, dict[str, Any]]:
    """A 402 as Stripe answers a declined confirmation: the error names the intent it left open."""
    error = {
        "type": "card_error",
        "code": code,
        "decline_code": decline_code,
        "message": message,
        "charge": "ch_3Rec",
        "payment_intent": intent("requires_payment_method"),
    }
    return 402, {"error": error}


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (card_error("card_declined", "generic_decline", "Your card was declined."), "card_declined"),
        (card_error("card_declined", "insufficient_funds", "Your card has insufficient funds."), "insufficient_funds"),
        # Off-session confirmations of a 3-D Secure card are refused this way rather than left in requires_action.
        (
            card_error("authentication_required", "authentication_required", "Your card requires authentication."),
            "authentication_required",
        ),
    ],
)
def test_stripes_decline_codes_are_the_reasons_of_a_declined_outcome(
    answer: tuple[int, dict[str, Any]], reason: str
) -> None:
    """localstripe declines only with ``card_declined`` and names the charge, not the intent."""
    gateway, http = recorded(answer)
    payment = gateway.create(HUNDRED, payment_method="pm_card_visa", capture=True, idempotency_key="k")
    assert payment == ProviderPayment("pi_3Rec", ProviderOutcome.DECLINED, reason)
    assert len(http.requests) == 1  # the intent came with the error: no second request


def test_every_mutating_call_sends_an_idempotency_key() -> None:
    """localstripe ignores the ``Idempotency-Key`` header, so the requests themselves are looked at."""
    gateway, http = recorded(
        (200, intent("requires_capture")),
        (200, intent("succeeded")),
        (200, {"id": "re_1", "object": "refund", "amount": 1_000, "status": "succeeded"}),
        (200, intent("canceled")),
    )
    gateway.create(HUNDRED, payment_method="pm_card_visa", capture=False, idempotency_key="booking-1-attempt-1")
    gateway.capture("pi_3Rec")
    gateway.refund("pi_3Rec", Money(1_000, "EUR"), idempotency_key="booking-1-refund")
    gateway.void("pi_3Rec")
    keys = [
        (method, url.rsplit("/v1/", 1)[1], headers.get("Idempotency-Key")) for method, url, headers, _ in http.requests
    ]
    assert keys == [
        ("post", "payment_intents", "booking-1-attempt-1"),
        ("post", "payment_intents/pi_3Rec/capture", "pi_3Rec-capture"),
        ("post", "refunds", "booking-1-refund"),
        ("post", "payment_intents/pi_3Rec/cancel", "pi_3Rec-cancel"),
    ]
    assert "capture_method=manual" in http.requests[0][3] and "confirm=true" in http.requests[0][3]


def test_a_retried_create_replays_stripes_first_answer() -> None:
    """Stripe answers a retry of a key with the first request's response (``Idempotent-Replayed: true``);
    localstripe would make a second intent."""
    declined = card_error("card_declined", "insufficient_funds", "Your card has insufficient funds.")
    gateway, _ = recorded((200, intent("requires_capture")), (200, intent("requires_capture")), declined, declined)
    first = gateway.create(HUNDRED, payment_method="pm_card_visa", capture=False, idempotency_key="pay")
    assert gateway.create(HUNDRED, payment_method="pm_card_visa", capture=False, idempotency_key="pay") == first
    again = [
        gateway.create(HUNDRED, payment_method="pm_card_visa", capture=True, idempotency_key="try") for _ in range(2)
    ]
    assert again == [ProviderPayment("pi_3Rec", ProviderOutcome.DECLINED, "insufficient_funds")] * 2


IDEMPOTENCY_ERROR = {
    "error": {
        "type": "idempotency_error",
        "message": "Keys for idempotent requests can only be used with the same parameters they were first used "
        "with. Try using a key other than 'pay' if you meant to execute a different request.",
    }
}


def test_a_used_key_with_other_parameters_is_a_conflict() -> None:
    """localstripe has no idempotency layer; Stripe answers 400 ``idempotency_error``."""
    gateway, _ = recorded((400, IDEMPOTENCY_ERROR), (400, IDEMPOTENCY_ERROR))
    with pytest.raises(Conflict) as refused:
        gateway.create(Money(9_999, "EUR"), payment_method="pm_card_visa", capture=True, idempotency_key="pay")
    assert refused.value.code == "idempotency_key_reused"
    with pytest.raises(Conflict) as refused:
        gateway.refund("pi_3Rec", Money(4_001, "EUR"), idempotency_key="refund")
    assert refused.value.code == "idempotency_key_reused"


@pytest.mark.parametrize(
    "error",
    [
        {
            "type": "invalid_request_error",
            "code": "charge_already_refunded",
            "message": "Charge ch_3Rec has already been refunded.",
        },
        {
            "type": "invalid_request_error",
            "param": "amount",
            "message": "Refund amount (€100.01) is greater than charge amount (€100.00)",
        },
        {
            "type": "invalid_request_error",
            "code": "payment_intent_unexpected_state",
            "message": "This PaymentIntent does not have a successful charge to refund.",
        },
    ],
)
def test_a_refund_stripe_refuses_for_the_payments_state_is_an_invalid_transition(error: dict[str, Any]) -> None:
    """localstripe refunds beyond the captured amount and refunds a canceled intent; Stripe refuses both."""
    gateway, _ = recorded((400, {"error": error}))
    with pytest.raises(InvalidTransition):
        gateway.refund("pi_3Rec", Money(10_001, "EUR"), idempotency_key="r")


@pytest.mark.parametrize(
    "answer",
    [
        (500, {"error": {"type": "api_error", "message": "An unknown error occurred"}}),
        (429, {"error": {"type": "invalid_request_error", "code": "rate_limit", "message": "Too many requests"}}),
    ],
)
def test_stripes_own_failures_are_a_provider_outage(answer: tuple[int, dict[str, Any]]) -> None:
    gateway, _ = recorded(answer)
    with pytest.raises(ServiceUnavailable):
        gateway.create(HUNDRED, payment_method="pm_card_visa", capture=True, idempotency_key="k")


def test_a_capture_stripe_refuses_is_told_apart_by_the_intents_state() -> None:
    """Stripe refuses to capture a captured intent as it refuses a canceled one, with 400
    ``payment_intent_unexpected_state``; localstripe captures the canceled intent's charge."""
    unexpected = {
        "error": {
            "type": "invalid_request_error",
            "code": "payment_intent_unexpected_state",
            "message": "This PaymentIntent could not be captured because it has a status of succeeded.",
        }
    }
    gateway, _ = recorded((400, unexpected), (200, intent("succeeded", amount_received=10_000)))
    gateway.capture("pi_3Rec")  # already captured: nothing to do
    gateway, _ = recorded((400, unexpected), (200, intent("canceled", amount_received=0)))
    with pytest.raises(InvalidTransition, match="canceled"):
        gateway.capture("pi_3Rec")


def test_a_key_stripe_refuses_is_an_outage_for_the_client_and_an_error_for_the_operator(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Stripe's documented 401 for an invalid API key (localstripe accepts any key)."""
    refused = {"error": {"type": "invalid_request_error", "message": "Invalid API Key provided: sk_test_****oops"}}
    gateway, _ = recorded((401, refused))
    with pytest.raises(ServiceUnavailable):
        gateway.create(HUNDRED, payment_method="pm_card_visa", capture=True, idempotency_key="k")
    assert "Stripe refused the configured API key" in caplog.text
