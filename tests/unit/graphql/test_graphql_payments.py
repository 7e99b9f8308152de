"""Paying, the host's answer, cancelling with a refund and reviewing over GraphQL, on the in-memory platform
(its payment gateway keeps the sandbox's test cards: `pm_card_chargeDeclined` is declined…)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.graphql import execution
from airbnb_core.inmemory import FixedClock
from airbnb_core.services import Services
from tests.unit.graphql.support import GraphQLClient, only_error

TOTAL = 43_450  # 3 nights × 125.00 + 20.00 cleaning + 10% service fee
BOOKING_FIELDS = "id status actions refundAmount payment { paymentStatus refundedAmount } review { rating }"
CREATE = (
    'mutation($propertyId: ID!) { createBooking(propertyId: $propertyId, checkIn: "2030-07-01",'
    ' checkOut: "2030-07-04", guests: 2) { id status } }'
)
PAY = (
    "mutation($bookingId: ID!, $paymentMethod: String!) { payBooking(bookingId: $bookingId,"
    " paymentMethod: $paymentMethod) { id bookingId amount currency provider providerPaymentId paymentMethod"
    " paymentStatus failureCode refundedAmount createdAt updatedAt } }"
)
BOOKING = "query($id: ID!) { booking(id: $id) { " + BOOKING_FIELDS + " } }"
APPROVE = "mutation($id: ID!) { approveBooking(id: $id) { " + BOOKING_FIELDS + " } }"
DECLINE = "mutation($id: ID!) { declineBooking(id: $id) { " + BOOKING_FIELDS + " } }"
CANCEL = "mutation($id: ID!) { cancelBooking(id: $id) { " + BOOKING_FIELDS + " } }"
REVIEW = (
    "mutation($bookingId: ID!, $rating: Int!, $comment: String) {"
    " createReview(bookingId: $bookingId, rating: $rating, comment: $comment) { id rating comment author { name } } }"
)
MY_BOOKINGS = (
    "query($role: BookingRole) { myBookings(role: $role) { items { id status actions"
    " property { title } guest { name } payment { paymentStatus amount } review { rating author { name } } } } }"
)
AFTER_THE_STAY = datetime(2030, 7, 5, 9, tzinfo=UTC)


@dataclass
class Stage:
    gql: GraphQLClient
    host: str
    guest: str
    instant: str
    on_request: str

    def log_in_again(self) -> None:
        """Access tokens last 15 minutes: after the clock moved, both sides sign in again."""
        self.host = self.gql.login("hugo@example.com")["data"]["login"]["accessToken"]
        self.guest = self.gql.login("ann@example.com")["data"]["login"]["accessToken"]


def member(gql: GraphQLClient, name: str, *, is_host: bool = False) -> str:
    email = f"{name.lower()}@example.com"
    gql.register(email, name, is_host=is_host)
    token: str = gql.login(email)["data"]["login"]["accessToken"]
    return token


@pytest.fixture
def stage(gql: GraphQLClient) -> Stage:
    host = member(gql, "Hugo", is_host=True)
    instant = gql.create_property(host, cleaningFee=2_000, instantBook=True)["id"]
    on_request = gql.create_property(host, cleaningFee=2_000, instantBook=False)["id"]
    return Stage(gql, host, member(gql, "Ann"), instant, on_request)


def booked(stage: Stage, property_id: str) -> str:
    body = stage.gql(CREATE, token=stage.guest, propertyId=property_id)
    assert "errors" not in body, body
    return str(body["data"]["createBooking"]["id"])


def pay(stage: Stage, token: str, booking_id: str, method: str = "pm_card_visa") -> dict[str, Any]:
    return stage.gql(PAY, token=token, bookingId=booking_id, paymentMethod=method)


def answered(body: dict[str, Any], field: str) -> dict[str, Any]:
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"][field]
    return result


def test_an_instant_stay_is_paid_confirmed_then_reviewed_once_over(stage: Stage, clock: FixedClock) -> None:
    booking_id = booked(stage, stage.instant)

    payment = answered(pay(stage, stage.guest, booking_id), "payBooking")

    assert {k: payment[k] for k in ("bookingId", "amount", "currency", "paymentMethod", "paymentStatus")} == {
        "bookingId": booking_id, "amount": TOTAL, "currency": "EUR", "paymentMethod": "pm_card_visa",
        "paymentStatus": "SUCCEEDED",
    }  # fmt: skip
    assert (payment["failureCode"], payment["refundedAmount"]) == (None, 0) and payment["providerPaymentId"]
    seen = answered(stage.gql(BOOKING, token=stage.guest, id=booking_id), "booking")
    assert seen == {
        "id": booking_id, "status": "CONFIRMED", "actions": ["CANCEL"], "refundAmount": None,
        "payment": {"paymentStatus": "SUCCEEDED", "refundedAmount": 0}, "review": None,
    }  # fmt: skip
    again = pay(stage, stage.guest, booking_id)
    assert only_error(again)["extensions"] == {"code": "CONFLICT", "reason": "invalid_transition"}
    early = stage.gql(REVIEW, token=stage.guest, bookingId=booking_id, rating=5)
    assert only_error(early)["extensions"] == {"code": "CONFLICT", "reason": "stay_not_over"}

    clock.set(AFTER_THE_STAY)
    stage.log_in_again()
    assert answered(stage.gql(BOOKING, token=stage.guest, id=booking_id), "booking")["actions"] == ["REVIEW"]
    review = answered(
        stage.gql(REVIEW, token=stage.guest, bookingId=booking_id, rating=5, comment="Lovely\nflat"), "createReview"
    )

    assert {k: review[k] for k in ("rating", "comment", "author")} == {
        "rating": 5, "comment": "Lovely\nflat", "author": {"name": "Ann"},
    }  # fmt: skip
    as_host = answered(stage.gql(BOOKING, token=stage.host, id=booking_id), "booking")
    assert (as_host["review"], as_host["actions"]) == ({"rating": 5}, [])
    twice = stage.gql(REVIEW, token=stage.guest, bookingId=booking_id, rating=1)
    assert only_error(twice)["extensions"] == {"code": "CONFLICT", "reason": "already_reviewed"}


def test_a_request_to_book_is_approved_by_the_host_then_cancelled_with_a_refund(stage: Stage) -> None:
    booking_id = booked(stage, stage.on_request)

    assert answered(pay(stage, stage.guest, booking_id), "payBooking")["paymentStatus"] == "AUTHORIZED"
    requested = answered(stage.gql(BOOKING, token=stage.host, id=booking_id), "booking")
    assert (requested["status"], requested["actions"]) == ("REQUESTED", ["CANCEL", "APPROVE", "DECLINE"])
    by_guest = stage.gql(APPROVE, token=stage.guest, id=booking_id)
    assert by_guest["data"] == {"approveBooking": None}
    assert only_error(by_guest)["extensions"]["code"] == "FORBIDDEN"

    approved = answered(stage.gql(APPROVE, token=stage.host, id=booking_id), "approveBooking")
    assert (approved["status"], approved["payment"]["paymentStatus"]) == ("CONFIRMED", "SUCCEEDED")
    cancelled = answered(stage.gql(CANCEL, token=stage.guest, id=booking_id), "cancelBooking")

    # A month ahead on a flexible listing: everything back.
    assert cancelled == {
        "id": booking_id, "status": "CANCELLED", "actions": [], "refundAmount": TOTAL,
        "payment": {"paymentStatus": "REFUNDED", "refundedAmount": TOTAL}, "review": None,
    }  # fmt: skip


def test_a_request_to_book_declined_by_the_host_releases_the_card(stage: Stage) -> None:
    booking_id = booked(stage, stage.on_request)
    answered(pay(stage, stage.guest, booking_id), "payBooking")

    declined = answered(stage.gql(DECLINE, token=stage.host, id=booking_id), "declineBooking")

    assert (declined["status"], declined["payment"]["paymentStatus"]) == ("DECLINED", "VOIDED")
    late = stage.gql(APPROVE, token=stage.host, id=booking_id)
    assert only_error(late)["extensions"] == {"code": "CONFLICT", "reason": "invalid_transition"}


@pytest.mark.parametrize(
    ("method", "reason"),
    [("pm_card_chargeDeclined", "card_declined"), ("pm_card_authenticationRequired", "authentication_required")],
)
def test_a_declined_card_answers_payment_declined_and_the_guest_may_try_another(
    stage: Stage, method: str, reason: str
) -> None:
    booking_id = booked(stage, stage.instant)

    declined = pay(stage, stage.guest, booking_id, method)

    assert declined["data"] == {"payBooking": None}
    assert only_error(declined)["extensions"] == {"code": "PAYMENT_DECLINED", "reason": reason}
    seen = answered(stage.gql(BOOKING, token=stage.guest, id=booking_id), "booking")
    assert (seen["status"], seen["actions"]) == ("PENDING", ["PAY", "CANCEL"])
    assert seen["payment"]["paymentStatus"] == "FAILED"
    assert answered(pay(stage, stage.guest, booking_id, "pm_card_mastercard"), "payBooking")["paymentStatus"] == (
        "SUCCEEDED"
    )


def test_only_the_guest_pays_and_only_what_they_may_see(stage: Stage, gql: GraphQLClient) -> None:
    booking_id = booked(stage, stage.instant)
    stranger = member(gql, "Eve")

    assert only_error(pay(stage, stranger, booking_id))["extensions"]["code"] == "NOT_FOUND"
    assert only_error(pay(stage, stage.host, booking_id))["extensions"]["code"] == "FORBIDDEN"
    assert only_error(gql(PAY, bookingId=booking_id, paymentMethod="pm_card_visa"))["extensions"]["code"] == (
        "UNAUTHENTICATED"
    )
    for method in ("", "pm card visa", "x" * 256, "pm_card_visa\u0000", "4242424242424242"):
        refused = only_error(pay(stage, stage.guest, booking_id, method))
        assert refused["extensions"]["code"] == "BAD_USER_INPUT"
        assert refused["extensions"]["fields"][0]["field"] == "paymentMethod"
    unknown = only_error(pay(stage, stage.guest, booking_id, "pm_card_unknown"))
    assert unknown["extensions"]["code"] == "BAD_USER_INPUT"
    assert only_error(pay(stage, stage.guest, "not-a-uuid"))["extensions"]["code"] == "BAD_USER_INPUT"
    assert answered(pay(stage, stage.guest, booking_id), "payBooking")["paymentStatus"] == "SUCCEEDED"
    hidden = gql(BOOKING, token=stranger, id=booking_id)
    assert hidden["data"] == {"booking": None} and only_error(hidden)["extensions"]["code"] == "NOT_FOUND"


def test_only_the_guest_reviews_with_a_rating_of_1_to_5_and_a_bounded_comment(
    stage: Stage, gql: GraphQLClient, clock: FixedClock
) -> None:
    booking_id = booked(stage, stage.instant)
    answered(pay(stage, stage.guest, booking_id), "payBooking")
    clock.set(AFTER_THE_STAY)
    stage.log_in_again()
    stranger = member(gql, "Eve")

    def review(token: str, **fields: Any) -> dict[str, Any]:
        return only_error(gql(REVIEW, token=token, bookingId=booking_id, **{"rating": 4, **fields}))["extensions"]

    assert review(stranger)["code"] == "NOT_FOUND"
    assert review(stage.host)["code"] == "FORBIDDEN"
    for rating in (0, 6):
        assert review(stage.guest, rating=rating)["fields"] == [
            {"field": "rating", "message": "must be an integer from 1 to 5"}
        ]
    assert review(stage.guest, comment="x" * 2_001)["fields"][0]["field"] == "comment"
    assert answered(gql(REVIEW, token=stage.guest, bookingId=booking_id, rating=4, comment="x" * 2_000), "createReview")


def test_a_page_of_bookings_loads_payments_and_reviews_in_one_batch_each(
    stage: Stage, services: Services, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    stays = [booked(stage, place) for place in (stage.instant, stage.on_request)]
    for booking_id in stays:
        answered(pay(stage, stage.guest, booking_id), "payBooking")
    unpaid = stage.gql(CREATE.replace("2030-07-01", "2030-07-10").replace("2030-07-04", "2030-07-12"),
                       token=stage.guest, propertyId=stage.instant)  # fmt: skip
    clock.set(AFTER_THE_STAY)
    stage.log_in_again()
    answered(stage.gql(REVIEW, token=stage.guest, bookingId=stays[0], rating=3), "createReview")
    calls: list[str] = []
    for use_case, name in ((services.payments, "payments_of"), (services.reviews, "of_bookings")):
        method = getattr(use_case, name)
        monkeypatch.setattr(use_case, name, lambda viewer, ids, m=method, n=name: calls.append(n) or m(viewer, ids))

    page = answered(stage.gql(MY_BOOKINGS, token=stage.host, role="HOST"), "myBookings")["items"]

    by_id = {item["id"]: item for item in page}
    assert len(page) == 3 and sorted(calls) == ["of_bookings", "payments_of"]
    assert by_id[stays[0]]["review"] == {"rating": 3, "author": {"name": "Ann"}}
    assert by_id[stays[0]]["payment"] == {"paymentStatus": "SUCCEEDED", "amount": TOTAL}
    assert by_id[stays[1]]["payment"]["amount"] == TOTAL and by_id[stays[1]]["review"] is None
    new = unpaid["data"]["createBooking"]["id"]
    assert (by_id[new]["payment"], by_id[new]["review"]) == (None, None)


def test_the_depth_limit_counts_through_a_booking_s_review(stage: Stage, monkeypatch: pytest.MonkeyPatch) -> None:
    # Booking → property → reviews → author ends at a User, which leads nowhere: no query can reach the
    # real limit of 10, so the limit is lowered to show the rule measures the new fields too.
    booked(stage, stage.instant)
    monkeypatch.setattr(execution, "MAX_DEPTH", 4)

    allowed = stage.gql(
        "{ myBookings { items { payment { amount } review { author { name } } guest { name } } } }", token=stage.guest
    )
    too_deep = stage.gql("{ myBookings { items { property { reviews { author { name } } } } } }", token=stage.guest)

    assert allowed == {"data": {"myBookings": {"items": [{"payment": None, "review": None, "guest": {"name": "Ann"}}]}}}
    assert too_deep == {
        "errors": [{
            "message": "'anonymous' exceeds maximum operation depth of 4.",
            "locations": [{"line": 1, "column": 1}],
            "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
        }]
    }  # fmt: skip


def test_the_cost_limit_refuses_pages_of_bookings_nested_past_it_and_lets_a_normal_page_through(
    stage: Stage,
) -> None:
    booked(stage, stage.instant)
    page = (
        "myBookings(limit: 100) { items { id payment { amount } review { rating }"
        " property { host { name } reviews(limit: 100) { rating author { name } } } guest { name } } }"
    )
    # Each page may return 100 bookings × (1 + 100 reviews): two fit within the limit, three do not.
    two = stage.gql("{ " + " ".join(f"page{n}: {page}" for n in range(2)) + " }", token=stage.guest)
    three = stage.gql("{ " + " ".join(f"page{n}: {page}" for n in range(3)) + " }", token=stage.guest)

    assert "errors" not in two and len(two["data"]["page0"]["items"]) == 1
    error = only_error(three)  # answered 200, as every refused operation is
    assert error["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}
    assert error["message"] == "'anonymous' may return 30300 records, more than the 20200 allowed."


def test_mutations_run_one_after_another_in_one_request_each_show_the_payment_as_it_left_it(stage: Stage) -> None:
    booking_id = booked(stage, stage.on_request)
    answered(pay(stage, stage.guest, booking_id), "payBooking")

    body = stage.gql(
        "mutation($id: ID!) { approved: approveBooking(id: $id) { payment { paymentStatus refundedAmount } }"
        " cancelled: cancelBooking(id: $id) { payment { paymentStatus refundedAmount } } }",
        token=stage.host,
        id=booking_id,
    )

    assert body == {
        "data": {
            "approved": {"payment": {"paymentStatus": "SUCCEEDED", "refundedAmount": 0}},
            "cancelled": {"payment": {"paymentStatus": "REFUNDED", "refundedAmount": TOTAL}},
        }
    }
