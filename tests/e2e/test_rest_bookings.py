"""Bookings over real HTTP: quote, hold, see, preview and cancel, and a race of thirty clients, on both databases."""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from dependency_injector import providers

import bootstrap
from adapters.persistence import upgrade
from airbnb_core.domain.bookings import BookingStatus
from airbnb_core.inmemory import FixedClock
from tests.support.members import member
from tests.support.server import running_server
from tests.support.stack import LiveServer, fast_hashing, production_like_settings, served_on

IN_A_MONTH = date.today() + timedelta(days=30)


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
def server(
    request: pytest.FixtureRequest, make_postgres_database: Callable[[], str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    with served_on(request.param, make_postgres_database, tmp_path_factory.mktemp("bookings")) as running:
        yield running


@pytest.fixture
def host(api: httpx.Client) -> dict[str, str]:
    return member(api, host=True)


LISTING = {
    "title": "Mill house", "location": "2 Mill Lane", "city": "Ghent", "country": "BE", "latitude": 51.05,
    "longitude": 3.72, "price_per_night": 10_000, "currency": "EUR", "cleaning_fee": 2_000,
    "weekly_discount_percent": 10, "max_guests": 3, "cancellation_policy": "moderate",
}  # fmt: skip


@pytest.fixture
def listing(api: httpx.Client, host: dict[str, str]) -> str:
    created = api.post("/properties", json=LISTING, headers=host)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def stay(nights: int, *, after: int = 0) -> dict[str, str]:
    check_in = IN_A_MONTH + timedelta(days=after)
    return {"check_in": check_in.isoformat(), "check_out": (check_in + timedelta(days=nights)).isoformat()}


def book(api: httpx.Client, guest: dict[str, str], listing: str, **body: Any) -> httpx.Response:
    return api.post("/bookings", json={"property_id": listing, "guests": 2, **stay(7), **body}, headers=guest)


def test_a_guest_holds_a_stay_priced_by_the_server(api: httpx.Client, listing: str, host: dict[str, str]) -> None:
    quote = api.get(f"/properties/{listing}/quote", params={**stay(7), "guests": 2})
    assert quote.status_code == 200, quote.text
    # 7 nights × 100.00 = 700.00, less 10% = 630.00; fee 10% of (630.00 + 20.00) = 65.00.
    assert quote.json() == {
        "nights": 7, "nightly_subtotal": 63_000, "weekly_discount": 7_000, "cleaning_fee": 2_000,
        "service_fee": 6_500, "total_price": 71_500, "currency": "EUR", "available": True,
    }  # fmt: skip

    guest = member(api)
    created = book(api, guest, listing)
    assert created.status_code == 201, created.text
    booking = created.json()
    assert (booking["status"], booking["total_price"], booking["actions"]) == ("pending", 71_500, ["pay", "cancel"])
    assert booking["hold_expires_at"] is not None and booking["cancelled_by"] is None
    assert api.get(f"/properties/{listing}/quote", params={**stay(7), "guests": 2}).json()["available"] is False

    seen_by_host = api.get(f"/bookings/{booking['id']}", headers=host).json()
    assert seen_by_host["actions"] == ["cancel"]
    assert api.get(f"/bookings/{booking['id']}", headers=member(api)).status_code == 404
    assert api.get(f"/bookings/{booking['id']}").status_code == 401


def test_prices_or_a_status_sent_by_the_client_are_refused(api: httpx.Client, listing: str) -> None:
    for forged in ({"total_price": 1}, {"status": "confirmed"}, {"guests": "2"}):
        refused = book(api, member(api), listing, **forged)
        assert refused.status_code == 422, refused.text
    assert api.get(f"/properties/{listing}/quote", params={**stay(7), "guests": 2}).json()["available"] is True


def test_the_booking_rules_answer_422_and_an_overlap_409(api: httpx.Client, listing: str, host: dict[str, str]) -> None:
    guest = member(api)
    too_many = book(api, guest, listing, guests=4)
    assert too_many.status_code == 422 and too_many.json()["errors"][0]["field"] == "guests"
    past = book(api, guest, listing, check_in="2020-01-01", check_out="2020-01-03")
    assert past.status_code == 422
    own = book(api, host, listing)
    assert own.status_code == 403
    assert book(api, guest, listing).status_code == 201
    overlap = book(api, member(api), listing, **stay(2, after=6))
    assert (overlap.status_code, overlap.json()["code"]) == (409, "booking_conflict")
    assert book(api, member(api), listing, **stay(2, after=7)).status_code == 201  # back to back


def test_cancelling_previews_then_records_who_cancelled_once(
    api: httpx.Client, listing: str, host: dict[str, str]
) -> None:
    guest = member(api)
    booking = book(api, guest, listing).json()
    preview = api.get(f"/bookings/{booking['id']}/cancellation", headers=guest).json()
    assert preview == {
        "refund_amount": 0, "currency": "EUR", "refund_percent": 0, "policy": "moderate",
        "days_before_check_in": 30, "voids_authorization": False,
    }  # fmt: skip
    cancelled = api.post(f"/bookings/{booking['id']}/cancel", headers=host)
    assert cancelled.status_code == 200, cancelled.text
    assert (cancelled.json()["status"], cancelled.json()["cancelled_by"], cancelled.json()["actions"]) == (
        "cancelled", "host", [],
    )  # fmt: skip
    again = api.post(f"/bookings/{booking['id']}/cancel", headers=guest)
    assert (again.status_code, again.json()["code"]) == (409, "invalid_transition")
    assert book(api, member(api), listing).status_code == 201  # the nights are free again


def test_a_guest_and_a_host_list_their_bookings_page_by_page(
    api: httpx.Client, listing: str, host: dict[str, str]
) -> None:
    guest = member(api)
    made = [book(api, guest, listing, guests=1, **stay(2, after=40 + 3 * n)).json()["id"] for n in range(3)]
    cancelled = api.post(f"/bookings/{made[0]}/cancel", headers=guest)
    assert cancelled.status_code == 200, cancelled.text
    first = api.get("/bookings", params={"limit": 2}, headers=guest)
    assert first.status_code == 200, first.text
    later = api.get("/bookings", params={"limit": 2, "cursor": first.json()["next_cursor"]}, headers=guest).json()
    assert [b["id"] for b in first.json()["items"] + later["items"]] == made[::-1] and later["next_cursor"] is None
    assert first.json()["items"][0]["actions"] == ["pay", "cancel"]
    as_host = api.get("/bookings", params={"role": "host", "limit": 100}, headers=host).json()
    mine = [b for b in as_host["items"] if b["id"] in made]
    assert [b["id"] for b in mine] == made[::-1] and mine[0]["actions"] == ["cancel"]
    only = api.get("/bookings", params={"status": "cancelled"}, headers=guest).json()
    assert [(b["id"], b["status"]) for b in only["items"]] == [(made[0], "cancelled")]
    assert api.get("/bookings", params={"role": "host"}, headers=guest).json() == {"items": [], "next_cursor": None}


def test_listing_bookings_needs_a_caller_and_valid_parameters(api: httpx.Client) -> None:
    assert api.get("/bookings").status_code == 401
    guest = member(api)
    for params in ({"role": "admin"}, {"status": "lost"}, {"limit": 0}, {"limit": 101}, {"cursor": "nope"}):
        assert api.get("/bookings", params=params, headers=guest).status_code == 422, params


def test_thirty_clients_racing_for_the_same_nights_get_one_booking(api: httpx.Client, listing: str) -> None:
    guests = [member(api) for _ in range(30)]
    with ThreadPoolExecutor(max_workers=30) as pool:
        statuses = list(pool.map(lambda guest: book(api, guest, listing, **stay(3, after=40)).status_code, guests))
    assert sorted(statuses) == [201] + [409] * 29


def test_the_server_stores_lapsed_holds_as_expired_by_itself(sqlite_url: str) -> None:
    upgrade(sqlite_url)
    settings = dataclasses.replace(
        production_like_settings(sqlite_url, None), expiry_sweep_seconds=1, booking_hold_minutes=1
    )
    container = bootstrap.build_container(settings)
    clock = FixedClock(datetime.now(UTC))
    container.clock.override(providers.Object(clock))
    fast_hashing(container)
    with running_server(bootstrap.build_app(settings, container)) as url, httpx.Client(base_url=url + "/api/v1") as api:
        host, guest = member(api, host=True), member(api)
        place = api.post("/properties", json=LISTING, headers=host).json()["id"]
        booking = api.post("/bookings", json={"property_id": place, "guests": 1, **stay(2)}, headers=guest).json()
        clock.advance(timedelta(minutes=1))
        assert api.get(f"/bookings/{booking['id']}", headers=guest).json()["status"] == "expired"  # at once
        deadline = time.monotonic() + 10
        while stored_status(container, booking["id"]) != BookingStatus.EXPIRED and time.monotonic() < deadline:
            time.sleep(0.1)
        assert stored_status(container, booking["id"]) is BookingStatus.EXPIRED


def stored_status(container: bootstrap.Container, booking_id: str) -> BookingStatus | None:
    with container.unit_of_work() as uow:
        booking = uow.bookings.get(uuid.UUID(booking_id))
    return booking.status if booking else None
