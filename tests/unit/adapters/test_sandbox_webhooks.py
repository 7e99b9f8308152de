"""The sandbox provider's webhooks: Stripe's signature scheme and event shape. No database is involved."""

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from adapters.payments import SandboxPaymentGateway
from airbnb_core.domain.errors import InvalidInput
from airbnb_core.inmemory import FixedClock
from airbnb_core.ports.payments import ProviderEvent

NOW = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
SECRET = "whsec_sandbox_test"
EVENT = {
    "id": "evt_sandbox_1",
    "type": "payment_intent.succeeded",
    "created": int(NOW.timestamp()),
    "data": {"object": {"id": "pi_sandbox_abc", "object": "payment_intent", "amount": 10_000}},
}


def gateway(clock: FixedClock | None = None) -> SandboxPaymentGateway:
    # An in-memory SQLite engine connects only when used; verifying a webhook never uses it.
    return SandboxPaymentGateway(sa.create_engine("sqlite://"), clock or FixedClock(NOW), webhook_secret=SECRET)


def signed(body: bytes, *, at: datetime = NOW, secret: str = SECRET) -> dict[str, str]:
    """The header Stripe would send, computed here independently of the adapter."""
    timestamp = int(at.timestamp())
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return {"Stripe-Signature": f"t={timestamp},v1={digest}"}


def test_a_signed_event_becomes_what_it_means_for_the_payment() -> None:
    body = json.dumps(EVENT).encode()
    assert gateway().parse_webhook(body, signed(body)) == ProviderEvent(
        "evt_sandbox_1", "payment_intent.succeeded", "pi_sandbox_abc"
    )


def test_the_header_name_is_case_insensitive_and_any_of_several_signatures_may_match() -> None:
    body = json.dumps(EVENT).encode()
    header = signed(body)["Stripe-Signature"]
    rotated = header.replace("v1=", "v1=" + "0" * 64 + ",v1=")
    assert gateway().parse_webhook(body, {"stripe-signature": rotated}).event_id == "evt_sandbox_1"


def test_a_charge_event_names_the_payment_intent_of_the_charge() -> None:
    charge = {
        **EVENT,
        "type": "charge.refunded",
        "data": {"object": {"id": "ch_1", "payment_intent": "pi_sandbox_abc"}},
    }
    body = json.dumps(charge).encode()
    assert gateway().parse_webhook(body, signed(body)).provider_payment_id == "pi_sandbox_abc"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Stripe-Signature": ""},
        {"Stripe-Signature": "v1=abc"},  # no timestamp
        {"Stripe-Signature": f"t={int(NOW.timestamp())}"},  # no signature
        {"Stripe-Signature": "t=soon,v1=abc"},
        # Two timestamps: which one was signed is anyone's guess, even when one of them fits.
        {"Stripe-Signature": "t=1," + signed(json.dumps(EVENT).encode())["Stripe-Signature"]},
        {"Stripe-Signature": f"t={int(NOW.timestamp())},v1=é"},
    ],
)
def test_a_missing_or_malformed_signature_is_a_bad_signature(headers: dict[str, str]) -> None:
    with pytest.raises(InvalidInput) as refused:
        gateway().parse_webhook(json.dumps(EVENT).encode(), headers)
    assert refused.value.code == "bad_signature"


def test_another_secret_or_a_changed_body_is_a_bad_signature() -> None:
    body = json.dumps(EVENT).encode()
    for payload, headers in [(body, signed(body, secret="whsec_other")), (body.replace(b"10000", b"1"), signed(body))]:
        with pytest.raises(InvalidInput) as refused:
            gateway().parse_webhook(payload, headers)
        assert refused.value.code == "bad_signature"


@pytest.mark.parametrize(
    ("age", "accepted"),
    [(timedelta(seconds=300), True), (timedelta(seconds=301), False), (-timedelta(seconds=301), False)],
)
def test_signatures_are_accepted_for_five_minutes_either_side_of_now(age: timedelta, accepted: bool) -> None:
    body = json.dumps(EVENT).encode()
    headers = signed(body, at=NOW - age)
    if accepted:
        assert gateway().parse_webhook(body, headers).event_id == "evt_sandbox_1"
    else:
        with pytest.raises(InvalidInput, match="timestamp"):
            gateway().parse_webhook(body, headers)


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"\xff\xfe",
        b"[]",
        json.dumps({"id": "evt_1", "type": "payment_intent.succeeded"}).encode(),
        json.dumps({**EVENT, "data": {"object": "pi_sandbox_abc"}}).encode(),
        json.dumps({**EVENT, "id": 7}).encode(),
        json.dumps({**EVENT, "type": ""}).encode(),
    ],
)
def test_a_signed_body_that_is_not_a_stripe_event_is_refused(body: bytes) -> None:
    with pytest.raises(InvalidInput) as refused:
        gateway().parse_webhook(body, signed(body))
    assert refused.value.code == "bad_webhook_payload"
