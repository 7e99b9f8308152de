"""Provider webhooks over real HTTP on the sandbox provider, on both databases: each signed event has the
synchronous path's effect once, and anything unsigned, unknown or late changes nothing."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

import bootstrap
from adapters.payments.sandbox import SandboxPaymentGateway, events
from airbnb_core.domain.money import Money
from airbnb_core.inmemory import FixedClock
from tests.e2e.test_rest_payments import booking, listing, pay
from tests.support.concurrency import race
from tests.support.members import Member, member
from tests.support.stack import LiveServer, served_on

CLOCK = FixedClock(datetime.now(UTC).replace(microsecond=0))
WEBHOOKS = "/payments/webhooks/sandbox"


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
def server(
    request: pytest.FixtureRequest, make_postgres_database: Callable[[], str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    with served_on(request.param, make_postgres_database, tmp_path_factory.mktemp("hooks"), clock=CLOCK) as running:
        yield running


@pytest.fixture
def host(api: httpx.Client) -> Member:
    return member(api, host=True)


def sandbox(server: LiveServer) -> SandboxPaymentGateway:
    gateway = server.container.payment_gateway()
    assert isinstance(gateway, SandboxPaymentGateway)
    return gateway


def event(event_type: str, payment_intent: str, **fields: Any) -> bytes:
    data = {"id": payment_intent, "object": "payment_intent", **fields}
    if event_type.startswith("charge."):
        data = {"id": "ch_x", "object": "charge", "payment_intent": payment_intent, **fields}
    body = {"id": f"evt_{secrets.token_hex(8)}", "type": event_type, "created": 0, "data": {"object": data}}
    return json.dumps(body).encode()


def deliver(api: httpx.Client, server: LiveServer, body: bytes, signature: str | None = None) -> httpx.Response:
    header = signature if signature is not None else sandbox(server).signature_header(body)
    return api.post(WEBHOOKS, content=body, headers={"Stripe-Signature": header, "Content-Type": "application/json"})


def payment(api: httpx.Client, guest: Member, booking_id: str) -> dict[str, Any]:
    answer: dict[str, Any] = api.get(f"/bookings/{booking_id}/payment", headers=guest).json()
    return answer


def requested(api: httpx.Client, host: Member) -> tuple[Member, str, str]:
    """A request to book whose card is authorized: the guest, the booking and the provider's payment id."""
    guest = member(api)
    booking_id = booking(api, guest, listing(api, host, instant_book=False))
    paid = pay(api, guest, booking_id)
    assert paid.status_code == 201, paid.text
    return guest, booking_id, paid.json()["provider_payment_id"]


def test_a_capture_our_approval_never_recorded_confirms_the_request_once(
    api: httpx.Client, server: LiveServer, host: Member
) -> None:
    guest, booking_id, intent = requested(api, host)
    sandbox(server).capture(intent)  # the approval's provider call, whose commit never happened
    body = event("payment_intent.succeeded", intent)
    first = deliver(api, server, body)
    assert (first.status_code, first.json()) == (200, {"received": True, "applied": True})
    assert api.get(f"/bookings/{booking_id}", headers=guest).json()["status"] == "confirmed"
    assert payment(api, guest, booking_id)["payment_status"] == "succeeded"

    replayed = deliver(api, server, body)
    assert (replayed.status_code, replayed.json()["applied"]) == (200, False)
    late = deliver(api, server, event("payment_intent.amount_capturable_updated", intent))  # out of order
    assert (late.status_code, late.json()["applied"]) == (200, False)
    assert payment(api, guest, booking_id)["payment_status"] == "succeeded"


def test_a_void_and_a_refund_made_at_the_provider_are_recorded(
    api: httpx.Client, server: LiveServer, host: Member
) -> None:
    guest, booking_id, intent = requested(api, host)
    sandbox(server).void(intent)
    assert deliver(api, server, event("payment_intent.canceled", intent)).json()["applied"] is True
    assert payment(api, guest, booking_id)["payment_status"] == "voided"

    guest = member(api)
    booking_id = booking(api, guest, listing(api, host, instant_book=True))
    paid = pay(api, guest, booking_id).json()
    sandbox(server).refund(paid["provider_payment_id"], Money(1_000, "EUR"), idempotency_key=secrets.token_hex(8))
    # The charge's total refunded, however many refunds made it; a claim beyond the amount stops at it.
    refunded = deliver(api, server, event("charge.refunded", paid["provider_payment_id"], amount_refunded=1_000))
    assert refunded.json()["applied"] is True
    assert (payment(api, guest, booking_id)["refunded_amount"], payment(api, guest, booking_id)["payment_status"]) == (
        1_000,
        "partially_refunded",
    )
    beyond = event("charge.refunded", paid["provider_payment_id"], amount_refunded=10**9)
    assert deliver(api, server, beyond).json()["applied"] is True
    assert payment(api, guest, booking_id)["payment_status"] == "refunded"
    succeeded_after_refund = deliver(api, server, event("payment_intent.succeeded", paid["provider_payment_id"]))
    assert (succeeded_after_refund.status_code, succeeded_after_refund.json()["applied"]) == (200, False)
    assert payment(api, guest, booking_id)["refunded_amount"] == paid["amount"]


def test_events_that_change_nothing_are_acknowledged(api: httpx.Client, server: LiveServer, host: Member) -> None:
    for kind in ("payment_intent.succeeded", "payment_intent.payment_failed", "charge.refunded", "customer.created"):
        answer = deliver(api, server, event(kind, "pi_nobody_knows", amount_refunded=5))
        assert (answer.status_code, answer.json()["applied"]) == (200, False), answer.text


@pytest.mark.parametrize(
    "signature",
    [
        "",  # missing
        "t=1,v1=00",  # malformed and stale
        "forged",
        "stale",
    ],
)
def test_a_webhook_not_signed_now_by_the_sandbox_is_refused_and_changes_nothing(
    api: httpx.Client, server: LiveServer, host: Member, signature: str
) -> None:
    guest, booking_id, intent = requested(api, host)
    sandbox(server).capture(intent)
    body = event("payment_intent.succeeded", intent)
    if signature == "forged":
        signature = sandbox(server).signature_header(body + b" ")
    elif signature == "stale":
        old = SandboxPaymentGateway(
            server.container.engine(), FixedClock(CLOCK.now() - timedelta(hours=1)),
            webhook_secret=server.settings.sandbox_webhook_secret,
        )  # fmt: skip
        signature = old.signature_header(body)
    refused = deliver(api, server, body, signature)
    assert (refused.status_code, refused.json()["code"]) == (400, "bad_signature"), refused.text
    assert api.get(f"/bookings/{booking_id}", headers=guest).json()["status"] == "requested"


def test_another_providers_webhook_path_is_not_found(api: httpx.Client, server: LiveServer) -> None:
    body = event("payment_intent.succeeded", "pi_x")
    answer = api.post("/payments/webhooks/stripe", content=body, headers={"Stripe-Signature": "t=1,v1=0"})
    assert answer.status_code == 404


def test_two_concurrent_deliveries_of_one_event_apply_it_once(
    api: httpx.Client, server: LiveServer, host: Member
) -> None:
    guest, booking_id, intent = requested(api, host)
    sandbox(server).capture(intent)
    body = event("payment_intent.succeeded", intent)
    answers = race([lambda: deliver(api, server, body)] * 2)
    assert all(isinstance(answer, httpx.Response) for answer in answers), answers
    assert sorted(answer.json()["applied"] for answer in answers if isinstance(answer, httpx.Response)) == [
        False,
        True,
    ]
    assert api.get(f"/bookings/{booking_id}", headers=guest).json()["status"] == "confirmed"


def test_the_sandbox_delivers_its_own_events_to_a_server_that_already_applied_them(
    api: httpx.Client, server: LiveServer, host: Member
) -> None:
    guest = member(api)
    booking_id = booking(api, guest, listing(api, host, instant_book=True))
    assert pay(api, guest, booking_id).status_code == 201
    before = payment(api, guest, booking_id)
    server.container.config.sandbox_webhook_url.from_value(server.url + "/api/v1" + WEBHOOKS)
    try:
        assert bootstrap.deliver_sandbox_webhooks(server.container) >= 1
        assert bootstrap.deliver_sandbox_webhooks(server.container) == 0  # each delivered once
        with server.container.engine().begin() as connection:  # as if the acknowledgement had been lost
            connection.execute(sa.update(events).values(delivered_at=None))
        assert bootstrap.deliver_sandbox_webhooks(server.container) >= 1
    finally:
        server.container.config.sandbox_webhook_url.from_value(None)
    assert payment(api, guest, booking_id) == before
    assert api.get(f"/bookings/{booking_id}", headers=guest).json()["status"] == "confirmed"
