"""The whole stay through GraphQL on a real server, on both databases with the sandbox provider and on
Stripe (localstripe): book, pay, approve or decline, cancel with a refund, review after the stay; declined
cards and who may do what. Only the server's configuration differs between the providers."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from airbnb_core.inmemory import FixedClock
from tests.support.localstripe import API_KEY as LOCALSTRIPE_API_KEY
from tests.support.localstripe import payment_methods_of
from tests.support.stack import LiveServer, served_on

# The servers' clock: moved forward only (the request limiter's state would otherwise lie in the future),
# so every date is taken relative to it.
CLOCK = FixedClock(datetime.now(UTC).replace(microsecond=0))
PASSWORD = "pass-word-1"
LISTING = {
    "title": "Dune hut", "location": "1 Beach Road", "city": "Knokke", "country": "BE", "latitude": 51.35,
    "longitude": 3.28, "pricePerNight": 10_000, "currency": "EUR", "cleaningFee": 2_000, "maxGuests": 3,
    "cancellationPolicy": "MODERATE",
}  # fmt: skip
TOTAL = 3 * 10_000 + 2_000 + 3_200  # three nights, cleaning, 10% service fee

BOOKING_FIELDS = "id status actions refundAmount payment { paymentStatus amount refundedAmount } review { rating }"
CREATE = (
    "mutation($p: ID!, $in: Date!, $out: Date!) { createBooking(propertyId: $p, checkIn: $in, checkOut: $out,"
    " guests: 1) { id status } }"
)
PAY = (
    "mutation($b: ID!, $m: String!) { payBooking(bookingId: $b, paymentMethod: $m)"
    " { bookingId amount currency provider providerPaymentId paymentStatus failureCode } }"
)
BOOKING = "query($id: ID!) { booking(id: $id) { " + BOOKING_FIELDS + " } }"
APPROVE = "mutation($id: ID!) { approveBooking(id: $id) { " + BOOKING_FIELDS + " } }"
DECLINE = "mutation($id: ID!) { declineBooking(id: $id) { " + BOOKING_FIELDS + " } }"
CANCEL = "mutation($id: ID!) { cancelBooking(id: $id) { " + BOOKING_FIELDS + " } }"
REVIEW = (
    "mutation($b: ID!, $r: Int!, $c: String) { createReview(bookingId: $b, rating: $r, comment: $c)"
    " { rating comment author { name } } }"
)


@pytest.fixture(scope="module", params=[("postgresql", "sandbox"), ("sqlite", "sandbox"), ("postgresql", "stripe")])
def server(
    request: pytest.FixtureRequest,
    make_postgres_database: Callable[[], str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LiveServer]:
    dialect, provider = request.param
    on_stripe: dict[str, Any] = {}
    if provider == "stripe":
        stripe_url = request.getfixturevalue("localstripe_url")
        on_stripe = {"payment_provider": "stripe", "stripe_api_key": LOCALSTRIPE_API_KEY, "stripe_api_base": stripe_url}
    directory = tmp_path_factory.mktemp("gql")
    with served_on(dialect, make_postgres_database, directory, clock=CLOCK, **on_stripe) as running:
        yield running


@pytest.fixture(scope="module")
def card(server: LiveServer) -> Callable[[str], str]:
    """Stripe's test payment method ids as the server's provider knows them (localstripe lacks most)."""
    if server.settings.payment_provider == "stripe":
        return payment_methods_of(str(server.settings.stripe_api_base))
    return lambda stripe_test_method: stripe_test_method


@pytest.fixture(scope="module")
def client(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as http:
        yield http


class Member:
    """A registered member and their current access token; ``log_in_again`` once the clock has moved on
    (access tokens last 15 minutes)."""

    def __init__(self, client: httpx.Client, name: str, *, host: bool = False) -> None:
        self.client, self.email, self.token = client, f"g-{uuid.uuid4().hex[:12]}@example.com", ""
        registered = self(
            "mutation($n: String!, $e: String!, $p: String!, $h: Boolean!)"
            " { register(name: $n, email: $e, password: $p, isHost: $h) { id } }",
            n=name, e=self.email, p=PASSWORD, h=host,
        )  # fmt: skip
        assert "errors" not in registered, registered
        self.log_in_again()

    def log_in_again(self) -> None:
        login = self(
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }",
            e=self.email, p=PASSWORD,
        )  # fmt: skip
        self.token = login["data"]["login"]["accessToken"]

    def __call__(self, query: str, **variables: Any) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        response = self.client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


def data(body: dict[str, Any], field: str) -> dict[str, Any]:
    assert "errors" not in body, body
    answer: dict[str, Any] = body["data"][field]
    return answer


def error_of(body: dict[str, Any]) -> dict[str, Any]:
    assert len(body.get("errors", [])) == 1, body
    extensions: dict[str, Any] = body["errors"][0]["extensions"]
    return extensions


def listing(host: Member, *, instant_book: bool) -> str:
    created = host(
        "mutation($i: PropertyInput!) { createProperty(input: $i) { id } }", i={**LISTING, "instantBook": instant_book}
    )
    return str(data(created, "createProperty")["id"])


def booking(guest: Member, place: str, *, in_days: int) -> str:
    check_in = CLOCK.now().date() + timedelta(days=in_days)
    created = guest(CREATE, p=place, **{"in": str(check_in), "out": str(check_in + timedelta(days=3))})
    return str(data(created, "createBooking")["id"])


def test_a_whole_stay_through_graphql_pay_approve_decline_cancel_and_review(
    server: LiveServer, client: httpx.Client, card: Callable[[str], str]
) -> None:
    host, guest = Member(client, "Hana", host=True), Member(client, "Ana")
    instant, on_request = listing(host, instant_book=True), listing(host, instant_book=False)

    # Instant book: paying captures and confirms.
    stay = booking(guest, instant, in_days=30)
    paid = data(guest(PAY, b=stay, m=card("pm_card_visa")), "payBooking")
    assert (paid["bookingId"], paid["amount"], paid["provider"], paid["paymentStatus"]) == (
        stay, TOTAL, server.settings.payment_provider, "SUCCEEDED",
    )  # fmt: skip
    assert data(host(BOOKING, id=stay), "booking")["status"] == "CONFIRMED"

    # Request to book: paying authorizes; the host approves; the guest cancels 30 days ahead: all back.
    approved_id = booking(guest, on_request, in_days=30)
    assert data(guest(PAY, b=approved_id, m=card("pm_card_visa")), "payBooking")["paymentStatus"] == "AUTHORIZED"
    requested = data(host(BOOKING, id=approved_id), "booking")
    assert (requested["status"], requested["actions"]) == ("REQUESTED", ["CANCEL", "APPROVE", "DECLINE"])
    assert error_of(guest(APPROVE, id=approved_id))["code"] == "FORBIDDEN"
    approved = data(host(APPROVE, id=approved_id), "approveBooking")
    assert (approved["status"], approved["payment"]["paymentStatus"]) == ("CONFIRMED", "SUCCEEDED")
    cancelled = data(guest(CANCEL, id=approved_id), "cancelBooking")
    assert (cancelled["status"], cancelled["refundAmount"]) == ("CANCELLED", TOTAL)
    assert cancelled["payment"] == {"paymentStatus": "REFUNDED", "amount": TOTAL, "refundedAmount": TOTAL}

    # Request to book declined: the authorization is released.
    declined_id = booking(guest, on_request, in_days=40)
    data(guest(PAY, b=declined_id, m=card("pm_card_visa")), "payBooking")
    declined = data(host(DECLINE, id=declined_id), "declineBooking")
    assert (declined["status"], declined["payment"]["paymentStatus"]) == ("DECLINED", "VOIDED")
    assert error_of(host(DECLINE, id=declined_id)) == {"code": "CONFLICT", "reason": "invalid_transition"}

    # After the stay, the guest reviews it, once.
    assert error_of(guest(REVIEW, b=stay, r=5))["reason"] == "stay_not_over"
    CLOCK.advance(timedelta(days=34))
    guest.log_in_again()
    host.log_in_again()
    review = data(guest(REVIEW, b=stay, r=5, c="Sand everywhere, loved it"), "createReview")
    assert review == {"rating": 5, "comment": "Sand everywhere, loved it", "author": {"name": "Ana"}}
    assert error_of(guest(REVIEW, b=stay, r=4))["reason"] == "already_reviewed"
    seen = host(
        "query($id: ID!) { booking(id: $id) { review { rating author { name } } guest { name }"
        " property { ratingAvg reviewCount } } }",
        id=stay,
    )
    assert data(seen, "booking") == {
        "review": {"rating": 5, "author": {"name": "Ana"}}, "guest": {"name": "Ana"},
        "property": {"ratingAvg": 5.0, "reviewCount": 1},
    }  # fmt: skip


@pytest.mark.parametrize(
    ("method", "reason"),
    [("pm_card_chargeDeclined", "card_declined"), ("pm_card_authenticationRequired", "authentication_required")],
)
def test_a_declined_card_answers_payment_declined_with_its_reason(
    client: httpx.Client, card: Callable[[str], str], method: str, reason: str
) -> None:
    host, guest = Member(client, "Hana", host=True), Member(client, "Ana")
    stay = booking(guest, listing(host, instant_book=True), in_days=20)

    declined = guest(PAY, b=stay, m=card(method))

    assert declined["data"] == {"payBooking": None}
    assert error_of(declined) == {"code": "PAYMENT_DECLINED", "reason": reason}
    seen = data(guest(BOOKING, id=stay), "booking")
    assert (seen["status"], seen["payment"]["paymentStatus"]) == ("PENDING", "FAILED")
    assert data(guest(PAY, b=stay, m=card("pm_card_mastercard")), "payBooking")["paymentStatus"] == "SUCCEEDED"


def test_only_the_guest_pays_and_strangers_see_nothing(client: httpx.Client) -> None:
    host, guest, stranger = Member(client, "Hana", host=True), Member(client, "Ana"), Member(client, "Eve")
    stay = booking(guest, listing(host, instant_book=True), in_days=20)

    assert error_of(stranger(PAY, b=stay, m="pm_card_visa"))["code"] == "NOT_FOUND"
    assert error_of(host(PAY, b=stay, m="pm_card_visa"))["code"] == "FORBIDDEN"
    assert error_of(guest(PAY, b=stay, m="pm card visa"))["code"] == "BAD_USER_INPUT"
    assert error_of(stranger(BOOKING, id=stay))["code"] == "NOT_FOUND"
    assert error_of(stranger(APPROVE, id=stay))["code"] == "NOT_FOUND"
    assert error_of(stranger(REVIEW, b=stay, r=5))["code"] == "NOT_FOUND"
