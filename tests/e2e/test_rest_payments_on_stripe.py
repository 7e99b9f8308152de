"""The whole stay over real HTTP with ``AIRBNB_PAYMENT_PROVIDER=stripe``: the server pays through the Stripe
gateway, which talks HTTP to localstripe; what the API reports is checked against what Stripe holds."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from adapters.payments.stripe import StripePaymentGateway
from airbnb_core.ports.payments import IntentStatus, ProviderIntent
from tests.support.localstripe import API_KEY
from tests.support.members import Member, member
from tests.support.stack import LiveServer, live_server, production_like_settings

LISTING = {
    "title": "Dune hut", "location": "1 Beach Road", "city": "Knokke", "country": "BE", "latitude": 51.35,
    "longitude": 3.28, "price_per_night": 10_000, "currency": "EUR", "cleaning_fee": 2_000, "max_guests": 3,
    "cancellation_policy": "moderate",
}  # fmt: skip
TOTAL = 3 * 10_000 + 2_000 + 3_200  # three nights, cleaning, 10% service fee
WEBHOOK_SECRET = "whsec_e2e_stripe"


@pytest.fixture(scope="module")
def server(make_postgres_database: Callable[[], str], localstripe_url: str) -> Iterator[LiveServer]:
    settings = production_like_settings(
        make_postgres_database(),
        None,
        login_rate_limit=100_000,
        api_rate_limit=100_000,
        payment_provider="stripe",
        stripe_api_key=API_KEY,
        stripe_api_base=localstripe_url,
        stripe_webhook_secret=WEBHOOK_SECRET,
    )
    with live_server(settings) as running:
        yield running


@pytest.fixture(scope="module")
def stripe(server: LiveServer) -> StripePaymentGateway:
    """The server's own gateway, to ask Stripe what it holds."""
    gateway = server.container.payment_gateway()
    assert isinstance(gateway, StripePaymentGateway)
    return gateway


@pytest.fixture
def host(api: httpx.Client) -> Member:
    return member(api, host=True)


def listing(api: httpx.Client, host: Member, **changes: Any) -> str:
    created = api.post("/properties", json={**LISTING, **changes}, headers=host)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def booking(api: httpx.Client, guest: dict[str, str], place: str) -> str:
    check_in = datetime.now(UTC).date() + timedelta(days=30)
    body = {"property_id": place, "guests": 1, "check_in": str(check_in), "check_out": str(check_in + timedelta(3))}
    created = api.post("/bookings", json=body, headers=guest)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def pay(api: httpx.Client, guest: dict[str, str], booking_id: str, method: str = "pm_card_visa") -> httpx.Response:
    return api.post(f"/bookings/{booking_id}/payments", json={"payment_method": method}, headers=guest)


def test_a_whole_instant_stay_on_stripe_pay_then_cancel_with_the_policy_refund(
    api: httpx.Client, stripe: StripePaymentGateway, host: Member
) -> None:
    guest, place = member(api), listing(api, host, instant_book=True)
    booking_id = booking(api, guest, place)  # 30 days ahead: moderate refunds all
    paid = pay(api, guest, booking_id)
    assert paid.status_code == 201, paid.text
    payment = paid.json()
    assert (payment["payment_status"], payment["amount"], payment["provider"]) == ("succeeded", TOTAL, "stripe")
    assert api.get(f"/bookings/{booking_id}", headers=guest).json()["status"] == "confirmed"
    intent_id = payment["provider_payment_id"]
    assert stripe.retrieve(intent_id) == ProviderIntent(intent_id, IntentStatus.SUCCEEDED, TOTAL, TOTAL, 0)

    cancelled = api.post(f"/bookings/{booking_id}/cancel", headers=guest)
    assert cancelled.status_code == 200, cancelled.text
    assert (cancelled.json()["status"], cancelled.json()["refund_amount"]) == ("cancelled", TOTAL)
    after = api.get(f"/bookings/{booking_id}/payment", headers=guest).json()
    assert (after["payment_status"], after["refunded_amount"]) == ("refunded", TOTAL)
    assert stripe.retrieve(intent_id).amount_refunded == TOTAL


def test_request_to_book_on_stripe_is_authorized_then_captured_or_released(
    api: httpx.Client, stripe: StripePaymentGateway, host: Member
) -> None:
    for decision, status, at_stripe in [
        ("approve", "confirmed", IntentStatus.SUCCEEDED),
        ("decline", "declined", IntentStatus.CANCELED),
    ]:
        guest, place = member(api), listing(api, host, instant_book=False)
        booking_id = booking(api, guest, place)
        payment = pay(api, guest, booking_id).json()
        assert payment["payment_status"] == "authorized"
        assert stripe.retrieve(payment["provider_payment_id"]).status is IntentStatus.REQUIRES_CAPTURE
        decided = api.post(f"/bookings/{booking_id}/{decision}", headers=host)
        assert decided.status_code == 200 and decided.json()["status"] == status, decided.text
        assert stripe.retrieve(payment["provider_payment_id"]).status is at_stripe


def test_a_declined_card_on_stripe_answers_402_and_another_card_pays(api: httpx.Client, host: Member) -> None:
    guest, place = member(api), listing(api, host, instant_book=True)
    booking_id = booking(api, guest, place)
    declined = pay(api, guest, booking_id, "pm_card_chargeCustomerFail")
    assert (declined.status_code, declined.json()["code"]) == (402, "card_declined")
    assert api.get(f"/bookings/{booking_id}", headers=guest).json()["status"] == "pending"
    unknown = pay(api, guest, booking_id, "pm_card_unknown")
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "payment_method"
    assert pay(api, guest, booking_id).status_code == 201


def test_graphql_tells_a_declined_card_on_stripe_as_on_the_sandbox(
    server: LiveServer, api: httpx.Client, host: Member
) -> None:
    guest, place = member(api), listing(api, host, instant_book=True)
    booking_id = booking(api, guest, place)
    pay_booking = (
        "mutation($id: ID!, $pm: String!) { payBooking(bookingId: $id, paymentMethod: $pm) { paymentStatus } }"
    )
    declined = httpx.post(
        server.url + "/graphql",
        json={"query": pay_booking, "variables": {"id": booking_id, "pm": "pm_card_chargeCustomerFail"}},
        headers=guest,
    ).json()
    [error] = declined["errors"]
    assert (error["extensions"]["code"], error["extensions"]["reason"]) == ("PAYMENT_DECLINED", "card_declined")
    paid = httpx.post(
        server.url + "/graphql",
        json={"query": pay_booking, "variables": {"id": booking_id, "pm": "pm_card_visa"}},
        headers=guest,
    ).json()
    assert paid["data"]["payBooking"]["paymentStatus"] == "SUCCEEDED", paid


def test_the_webhooks_stripe_sends_are_verified_and_applied_once(
    server: LiveServer, api: httpx.Client, host: Member, localstripe_url: str
) -> None:
    """localstripe posts its signed ``payment_intent.succeeded`` to our endpoint, as Stripe would."""
    endpoint = server.url + "/api/v1/payments/webhooks/stripe"
    httpx.post(
        f"{localstripe_url}/_config/webhooks/e2e-server",
        data={"url": endpoint, "secret": WEBHOOK_SECRET, "events[]": "payment_intent.succeeded"},
    ).raise_for_status()
    guest, place = member(api), listing(api, host, instant_book=True)
    paid = pay(api, guest, booking(api, guest, place)).json()

    def events_received() -> list[str]:
        with server.container.engine().connect() as connection:
            return list(
                connection.scalars(sa.text("SELECT event_id FROM processed_webhook_events WHERE provider = 'stripe'"))
            )

    deadline = time.monotonic() + 15
    while not events_received() and time.monotonic() < deadline:
        time.sleep(0.2)  # localstripe waits a moment before it posts
    assert events_received(), "localstripe's webhook never reached the server"
    # The synchronous path had already confirmed the booking: the event was recorded and changed nothing.
    assert api.get(f"/bookings/{paid['booking_id']}/payment", headers=guest).json() == paid

    forged = httpx.post(
        endpoint,
        content=b'{"id": "evt_forged", "type": "payment_intent.canceled", "data": {"object": {"id": "x"}}}',
        headers={"Stripe-Signature": "t=1,v1=00", "Content-Type": "application/json"},
    )
    assert (forged.status_code, forged.json()["code"]) == (400, "bad_signature")
