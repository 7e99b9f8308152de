"""Bookings over GraphQL on the in-memory platform: quote, book, see, preview and cancel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from adapters.graphql import execution
from airbnb_core.inmemory import FixedClock
from airbnb_core.services import Listings
from tests.unit.graphql.support import GraphQLClient, only_error

BOOKING_FIELDS = """
    id propertyId userId checkIn checkOut guests status nightlySubtotal cleaningFee serviceFee totalPrice
    currency holdExpiresAt createdAt cancelledBy cancelledAt refundAmount actions
    property { id title host { name } } guest { name }
"""
CREATE = (
    "mutation($propertyId: ID!, $checkIn: Date!, $checkOut: Date!, $guests: Int!) {"
    " createBooking(propertyId: $propertyId, checkIn: $checkIn, checkOut: $checkOut, guests: $guests)"
    " { " + BOOKING_FIELDS + " } }"
)
BOOKING = "query($id: ID!) { booking(id: $id) { " + BOOKING_FIELDS + " } }"
CANCEL = "mutation($id: ID!) { cancelBooking(id: $id) { " + BOOKING_FIELDS + " } }"


@dataclass(frozen=True)
class Stage:
    host: str
    guest: str
    property_id: str


def member(gql: GraphQLClient, name: str, *, is_host: bool = False) -> str:
    email = f"{name.lower()}@example.com"
    gql.register(email, name, is_host=is_host)
    token: str = gql.login(email)["data"]["login"]["accessToken"]
    return token


@pytest.fixture
def stage(gql: GraphQLClient) -> Stage:
    host = member(gql, "Hugo", is_host=True)
    place = gql.create_property(host, cleaningFee=2_000, weeklyDiscountPercent=10)
    return Stage(host, member(gql, "Ann"), place["id"])


def book(gql: GraphQLClient, token: str | None, property_id: str, **dates: Any) -> dict[str, Any]:
    stay = {"checkIn": "2030-07-01", "checkOut": "2030-07-04", "guests": 2, **dates}
    return gql(CREATE, token=token, propertyId=property_id, **stay)


def booked(gql: GraphQLClient, stage: Stage) -> dict[str, Any]:
    body = book(gql, stage.guest, stage.property_id)
    assert "errors" not in body, body
    created: dict[str, Any] = body["data"]["createBooking"]
    return created


def test_a_guest_books_and_guest_and_host_each_see_what_they_may_do(gql: GraphQLClient, stage: Stage) -> None:
    created = booked(gql, stage)

    # 3 nights × 125.00 = 375.00; fee 10% of (375.00 + 20.00) = 39.50.
    assert {k: created[k] for k in ("status", "nightlySubtotal", "cleaningFee", "serviceFee", "totalPrice")} == {
        "status": "PENDING", "nightlySubtotal": 37_500, "cleaningFee": 2_000, "serviceFee": 3_950,
        "totalPrice": 43_450,
    }  # fmt: skip
    assert created["holdExpiresAt"] == "2030-06-01T12:15:00+00:00"
    assert (created["actions"], created["cancelledBy"], created["refundAmount"]) == (["PAY", "CANCEL"], None, None)
    assert created["property"] == {"id": stage.property_id, "title": "Loft by the canal", "host": {"name": "Hugo"}}
    assert created["guest"] == {"name": "Ann"}
    as_guest = gql(BOOKING, token=stage.guest, id=created["id"])["data"]["booking"]
    as_host = gql(BOOKING, token=stage.host, id=created["id"])["data"]["booking"]
    assert as_guest == created
    assert as_host["actions"] == ["CANCEL"]


def test_a_stranger_cannot_see_a_booking(gql: GraphQLClient, stage: Stage) -> None:
    created = booked(gql, stage)
    stranger = member(gql, "Eve")

    body = gql(BOOKING, token=stranger, id=created["id"])

    assert body["data"] == {"booking": None}
    assert only_error(body)["extensions"]["code"] == "NOT_FOUND"


def test_overlapping_dates_conflict(gql: GraphQLClient, stage: Stage) -> None:
    booked(gql, stage)
    ben = member(gql, "Ben")

    body = book(gql, ben, stage.property_id, checkIn="2030-07-03", checkOut="2030-07-05")

    assert only_error(body)["extensions"] == {"code": "CONFLICT", "reason": "booking_conflict"}


def test_a_hold_that_ran_out_reads_expired_before_anything_stores_it(
    gql: GraphQLClient, stage: Stage, clock: FixedClock
) -> None:
    created = booked(gql, stage)
    clock.advance(timedelta(minutes=15))
    fresh = gql.login("ann@example.com")["data"]["login"]["accessToken"]  # the first token lasted 15 minutes too

    seen = gql(BOOKING, token=fresh, id=created["id"])["data"]["booking"]

    assert (seen["status"], seen["actions"]) == ("EXPIRED", [])


def test_a_quote_shows_the_weekly_discount(gql: GraphQLClient, stage: Stage) -> None:
    body = gql(
        'query($propertyId: ID!) { quote(propertyId: $propertyId, checkIn: "2030-07-01", checkOut: "2030-07-08",'
        " guests: 2) { nights nightlySubtotal weeklyDiscount cleaningFee serviceFee totalPrice currency available } }",
        propertyId=stage.property_id,
    )

    # 7 nights × 125.00 = 875.00, less 10% = 787.50; fee 10% of (787.50 + 20.00) = 80.75.
    assert body == {
        "data": {
            "quote": {
                "nights": 7, "nightlySubtotal": 78_750, "weeklyDiscount": 8_750, "cleaningFee": 2_000,
                "serviceFee": 8_075, "totalPrice": 88_825, "currency": "EUR", "available": True,
            }
        }
    }  # fmt: skip


def test_cancelling_records_the_guest_and_a_second_cancel_conflicts(gql: GraphQLClient, stage: Stage) -> None:
    created = booked(gql, stage)
    preview = gql(
        "query($id: ID!) { cancellationPreview(id: $id)"
        " { refundAmount currency refundPercent policy daysBeforeCheckIn voidsAuthorization } }",
        token=stage.guest,
        id=created["id"],
    )
    # Nothing was captured yet, so nothing is refunded.
    assert preview["data"]["cancellationPreview"] == {
        "refundAmount": 0, "currency": "EUR", "refundPercent": 0, "policy": "FLEXIBLE", "daysBeforeCheckIn": 30,
        "voidsAuthorization": False,
    }  # fmt: skip

    cancelled = gql(CANCEL, token=stage.guest, id=created["id"])["data"]["cancelBooking"]
    again = gql(CANCEL, token=stage.host, id=created["id"])

    assert (cancelled["status"], cancelled["cancelledBy"], cancelled["refundAmount"]) == ("CANCELLED", "GUEST", 0)
    assert (cancelled["cancelledAt"], cancelled["actions"]) == ("2030-06-01T12:00:00+00:00", [])
    assert only_error(again)["extensions"] == {"code": "CONFLICT", "reason": "invalid_transition"}


def test_booking_requires_authentication(gql: GraphQLClient, stage: Stage) -> None:
    body = book(gql, None, stage.property_id)

    assert body["data"] == {"createBooking": None}
    assert only_error(body)["extensions"]["code"] == "UNAUTHENTICATED"


def test_the_depth_limit_counts_through_a_booking(
    gql: GraphQLClient, stage: Stage, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No type leads back to Booking, so no query through it can reach the real limit of 10:
    # lower the limit to show the rule measures booking → property → reviews → author.
    created = booked(gql, stage)
    monkeypatch.setattr(execution, "MAX_DEPTH", 3)

    allowed = gql(BOOKING.replace(BOOKING_FIELDS, "property { host { name } }"), token=stage.guest, id=created["id"])
    too_deep = gql(
        BOOKING.replace(BOOKING_FIELDS, "property { reviews { author { name } } }"), token=stage.guest, id=created["id"]
    )

    assert allowed == {"data": {"booking": {"property": {"host": {"name": "Hugo"}}}}}
    assert "exceeds maximum operation depth of 3" in only_error(too_deep)["message"]


MY_BOOKINGS = (
    "query($role: BookingRole, $status: BookingStatus, $limit: Int, $cursor: String) {"
    " myBookings(role: $role, status: $status, limit: $limit, cursor: $cursor)"
    " { items { id status actions property { title } guest { name } } nextCursor } }"
)


def test_a_guest_and_a_host_page_through_their_bookings(gql: GraphQLClient, stage: Stage, clock: FixedClock) -> None:
    made = []
    for day in (1, 5, 9):
        body = book(gql, stage.guest, stage.property_id, checkIn=f"2030-07-{day:02}", checkOut=f"2030-07-{day + 2:02}")
        made.append(body["data"]["createBooking"]["id"])
        clock.advance(timedelta(seconds=1))

    first = gql(MY_BOOKINGS, token=stage.guest, limit=2)["data"]["myBookings"]
    rest = gql(MY_BOOKINGS, token=stage.guest, limit=2, cursor=first["nextCursor"])["data"]["myBookings"]
    as_host = gql(MY_BOOKINGS, token=stage.host, role="HOST")["data"]["myBookings"]

    assert [b["id"] for b in first["items"] + rest["items"]] == made[::-1] and rest["nextCursor"] is None
    assert first["items"][0] == {
        "id": made[2], "status": "PENDING", "actions": ["PAY", "CANCEL"],
        "property": {"title": first["items"][0]["property"]["title"]}, "guest": {"name": "Ann"},
    }  # fmt: skip
    assert [(b["id"], b["actions"]) for b in as_host["items"]] == [(i, ["CANCEL"]) for i in made[::-1]]
    assert gql(MY_BOOKINGS, token=stage.host)["data"]["myBookings"] == {"items": [], "nextCursor": None}


def test_my_bookings_filters_on_the_status_now_a_lapsed_hold_being_expired(
    gql: GraphQLClient, stage: Stage, clock: FixedClock
) -> None:
    created = booked(gql, stage)
    clock.advance(timedelta(minutes=15))
    fresh = gql.login("ann@example.com")["data"]["login"]["accessToken"]

    expired = gql(MY_BOOKINGS, token=fresh, status="EXPIRED")["data"]["myBookings"]["items"]
    pending = gql(MY_BOOKINGS, token=fresh, status="PENDING")["data"]["myBookings"]["items"]

    assert [(b["id"], b["status"]) for b in expired] == [(created["id"], "EXPIRED")] and pending == []


def test_my_bookings_requires_authentication_and_a_limit_in_range(gql: GraphQLClient, stage: Stage) -> None:
    anonymous = gql(MY_BOOKINGS)
    too_many = gql(MY_BOOKINGS, token=stage.guest, limit=101)
    forged = gql(MY_BOOKINGS, token=stage.guest, cursor="nope")

    assert anonymous["data"] is None and only_error(anonymous)["extensions"]["code"] == "UNAUTHENTICATED"
    assert only_error(too_many)["extensions"]["code"] == "BAD_USER_INPUT"
    assert only_error(forged)["extensions"]["code"] == "BAD_USER_INPUT"


def test_the_properties_and_guests_of_a_page_of_bookings_load_in_one_batch_each(
    gql: GraphQLClient, stage: Stage, listings: Listings, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = gql.create_property(stage.host)["id"]
    for day in (1, 5):
        for place in (stage.property_id, other):
            book(gql, stage.guest, place, checkIn=f"2030-07-{day:02}", checkOut=f"2030-07-{day + 2:02}")
    calls: list[str] = []
    for name in ("properties", "users"):
        method = getattr(listings, name)
        monkeypatch.setattr(listings, name, lambda ids, m=method, n=name: calls.append(n) or m(ids))

    page = gql(MY_BOOKINGS, token=stage.host, role="HOST")["data"]["myBookings"]["items"]

    assert len(page) == 4 and all(b["property"] and b["guest"] == {"name": "Ann"} for b in page)
    assert sorted(calls) == ["properties", "users"]
