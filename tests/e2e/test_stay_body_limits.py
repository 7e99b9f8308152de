"""Every field of the bodies added with bookings, payments and reviews, pushed past its bounds: each answer is
a 422 naming the field, and nothing is created. Also the page sizes of the booking lists."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from tests.support.members import Member, member
from tests.support.stack import LiveServer, served_on

IN_A_MONTH = date.today() + timedelta(days=30)
LISTING = {
    "title": "Limits loft", "location": "1 Edge Street", "city": "Ghent", "country": "BE", "latitude": 51.05,
    "longitude": 3.72, "price_per_night": 10_000, "currency": "EUR", "max_guests": 3, "instant_book": True,
}  # fmt: skip
HUGE = 2**70  # past any column (BIGINT included)


@pytest.fixture(scope="module")
def api(make_postgres_database: Callable[[], str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    running: LiveServer
    with (
        served_on("postgresql", make_postgres_database, tmp_path_factory.mktemp("limits")) as running,
        httpx.Client(base_url=running.url + "/api/v1", timeout=30) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def guest(api: httpx.Client) -> Member:
    return member(api)


@pytest.fixture(scope="module")
def place(api: httpx.Client) -> str:
    created = api.post("/properties", json=LISTING, headers=member(api, host=True))
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def good_booking(place: str) -> dict[str, Any]:
    return {"property_id": place, "check_in": str(IN_A_MONTH), "check_out": str(IN_A_MONTH + timedelta(3)), "guests": 1}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("property_id", "not-a-uuid"),
        ("property_id", "0" * 10_000),
        ("check_in", "2030-02-30"),
        ("check_in", "9999999-01-01"),
        ("check_in", "2030-01-01\u0000"),
        ("check_out", 20300101),
        ("guests", 0),
        ("guests", 101),
        ("guests", HUGE),
        ("guests", -HUGE),
        ("guests", 1.5),
        ("guests", "1"),
        ("guests", True),
        ("total_price", 1),
    ],
)
def test_a_booking_body_out_of_bounds_is_refused_and_books_nothing(
    api: httpx.Client, guest: Member, place: str, field: str, value: Any
) -> None:
    refused = api.post("/bookings", json={**good_booking(place), field: value}, headers=guest)
    assert refused.status_code == 422, (field, value, refused.text)
    assert refused.json()["errors"][0]["field"] == field
    assert api.get("/bookings", headers=guest).json()["items"] == []


def test_a_booking_past_the_longest_stay_is_refused(api: httpx.Client, guest: Member, place: str) -> None:
    body = {**good_booking(place), "check_out": str(IN_A_MONTH + timedelta(days=731))}
    assert api.post("/bookings", json=body, headers=guest).status_code == 422


@pytest.fixture(scope="module")
def booking_id(api: httpx.Client, guest: Member, place: str) -> str:
    check_in = IN_A_MONTH + timedelta(days=40)
    body = {**good_booking(place), "check_in": str(check_in), "check_out": str(check_in + timedelta(2))}
    created = api.post("/bookings", json=body, headers=guest)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


@pytest.mark.parametrize(
    "body",
    [
        {"payment_method": "pm_" + "a" * 253},
        {"payment_method": " pm_card_visa"},
        {"payment_method": "pm_card_visa\n"},
        {"payment_method": "pm_card_visa\u0000"},
        {"payment_method": "pm_cärd"},
        {"payment_method": 42},
        {"payment_method": ["pm_card_visa"]},
        {"payment_method": "pm_card_visa", "amount": 1},
        {"payment_method": "pm_card_visa", "currency": "USD"},
    ],
)
def test_a_payment_body_out_of_bounds_is_refused_and_charges_nothing(
    api: httpx.Client, guest: Member, booking_id: str, body: dict[str, Any]
) -> None:
    refused = api.post(f"/bookings/{booking_id}/payments", json=body, headers=guest)
    assert refused.status_code == 422, (body, refused.text)
    assert api.get(f"/bookings/{booking_id}/payment", headers=guest).status_code == 404  # no attempt stored


@pytest.mark.parametrize(
    "body",
    [
        {"rating": 0},
        {"rating": 6},
        {"rating": HUGE},
        {"rating": "5"},
        {"rating": 5, "comment": "x" * 2001},
        {"rating": 5, "comment": "nul\u0000"},
        {"rating": 5, "comment": "bell\u0007"},
        {"rating": 5, "user_id": "someone-else"},
        {"comment": "no rating"},
    ],
)
def test_a_review_body_out_of_bounds_is_refused(
    api: httpx.Client, guest: Member, booking_id: str, body: dict[str, Any]
) -> None:
    refused = api.post(f"/bookings/{booking_id}/reviews", json=body, headers=guest)
    assert refused.status_code == 422, (body, refused.text)


@pytest.mark.parametrize("key", ["x" * 256, "tab\tkey", "é", "emoji🙂"])
def test_an_idempotency_key_out_of_bounds_is_refused_and_books_nothing(api: httpx.Client, place: str, key: str) -> None:
    someone = member(api)
    headers = {**someone, "Idempotency-Key": key.encode("utf-8")}
    refused = api.post("/bookings", json=good_booking(place), headers=headers)  # type: ignore[arg-type]
    assert refused.status_code == 422, (key, refused.text)
    assert api.get("/bookings", headers=someone).json()["items"] == []


@pytest.mark.parametrize("limit", [0, 101, -1, HUGE, "ten"])
def test_pages_of_bookings_and_reviews_are_capped_at_100(
    api: httpx.Client, guest: Member, place: str, limit: Any
) -> None:
    assert api.get("/bookings", params={"limit": limit}, headers=guest).status_code == 422
    assert api.get("/bookings", params={"limit": limit, "role": "host"}, headers=guest).status_code == 422
    assert api.get(f"/properties/{place}/reviews", params={"limit": limit}).status_code == 422


def test_a_body_over_one_mebibyte_is_refused_before_it_is_read(
    api: httpx.Client, guest: Member, booking_id: str
) -> None:
    huge = {"rating": 5, "comment": "x" * (1024 * 1024 + 1)}
    assert api.post(f"/bookings/{booking_id}/reviews", json=huge, headers=guest).status_code == 413
