"""Listings and search over real HTTP on PostgreSQL and Redis, including the response cache."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from airbnb_core.domain.stay import Stay
from airbnb_core.ports.cache import property_scope
from tests.builders import a_booking
from tests.support.stack import LiveServer


@pytest.fixture
def api(live_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server.url + "/api/v1", timeout=10) as client:
        yield client


def account(api: httpx.Client, *, host: bool) -> tuple[str, dict[str, str]]:
    email = f"p-{uuid.uuid4().hex[:12]}@example.com"
    user = api.post("/auth/register", json={"name": "Pat", "email": email, "password": "pass-word-1", "is_host": host})
    token = api.post("/auth/login", json={"email": email, "password": "pass-word-1"}).json()["access_token"]
    return user.json()["id"], {"Authorization": f"Bearer {token}"}


def listing(city: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Canal house",
        "description": "Bright rooms over the water",
        "location": "Prinsengracht 1",
        "city": city,
        "country": "NL",
        "latitude": 52.37,
        "longitude": 4.89,
        "timezone": "Europe/Amsterdam",
        "price_per_night": 15_000,
        "currency": "EUR",
        "max_guests": 4,
        "amenities": ["wifi", "kitchen"],
    }
    body.update(overrides)
    return body


def book_directly(server: LiveServer, property_id: str, guest_id: str, start: date, end: date) -> None:
    booking = a_booking(
        user_id=uuid.UUID(guest_id),
        property_id=uuid.UUID(property_id),
        stay=Stay(start, end),
        created_at=datetime.now(UTC),
    )
    with server.container.unit_of_work() as uow:
        uow.bookings.add(booking)
        uow.commit()
    server.container.cache().invalidate(property_scope(uuid.UUID(property_id)))


def test_a_host_lists_and_a_guest_finds_it_by_city_dates_guests_and_price(
    api: httpx.Client, live_server: LiveServer
) -> None:
    city = f"Amsterdam {uuid.uuid4().hex[:6]}"
    host_id, host = account(api, host=True)
    guest_id, guest = account(api, host=False)
    created = api.post("/properties", json=listing(city), headers=host)
    assert created.status_code == 201, created.text
    place = created.json()
    assert place["host"] == {"id": host_id, "name": "Pat", "is_host": True, "created_at": place["host"]["created_at"]}
    assert (place["rating_avg"], place["review_count"], place["is_active"]) == (None, 0, True)

    check_in, check_out = date.today() + timedelta(days=20), date.today() + timedelta(days=23)
    params = {"city": city.upper(), "check_in": str(check_in), "check_out": str(check_out), "guests": 3,
              "min_price": 10_000, "max_price": 20_000}  # fmt: skip
    assert [p["id"] for p in api.get("/properties", params=params).json()["items"]] == [place["id"]]

    book_directly(live_server, place["id"], guest_id, check_in + timedelta(days=2), check_out + timedelta(days=2))
    assert api.get("/properties", params=params).json()["items"] == []
    taken = api.get(f"/properties/{place['id']}/availability", params={"start": str(check_in), "end": str(check_out)})
    assert taken.json() == {"unavailable": [{"start": str(check_in + timedelta(days=2)), "end": str(check_out)}]}
    assert_status(api.delete(f"/properties/{place['id']}", headers=host), 409)
    assert_status(api.post("/properties", json=listing(city), headers=guest), 403)


def assert_status(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json() if response.content else {}
    return body


def test_listing_validation_ownership_and_deactivation(api: httpx.Client) -> None:
    city = f"Utrecht {uuid.uuid4().hex[:6]}"
    _, host = account(api, host=True)
    _, other = account(api, host=True)
    bad = assert_status(
        api.post("/properties", json=listing(city, country="XX", latitude=100, max_nights=0), headers=host), 422
    )
    assert {e["field"] for e in bad["errors"]} == {"country", "latitude", "max_nights"}
    assert_status(api.post("/properties", json=listing(city, price_per_night=-5), headers=host), 422)
    assert_status(api.post("/properties", json={**listing(city), "rating_avg": 5}, headers=host), 422)
    assert_status(api.post("/properties", json=listing(city)), 401)

    place = assert_status(api.post("/properties", json=listing(city), headers=host), 201)
    assert_status(api.patch(f"/properties/{place['id']}", json={"title": "Mine now"}, headers=other), 403)
    assert_status(api.patch(f"/properties/{uuid.uuid4()}", json={"title": "x"}, headers=host), 404)
    updated = assert_status(api.patch(f"/properties/{place['id']}", json={"price_per_night": 9_900}, headers=host), 200)
    assert updated["price_per_night"] == 9_900 and updated["title"] == "Canal house"

    assert_status(api.delete(f"/properties/{place['id']}", headers=other), 403)
    assert api.delete(f"/properties/{place['id']}", headers=host).status_code == 204
    assert_status(api.get(f"/properties/{place['id']}"), 404)
    assert assert_status(api.get(f"/properties/{place['id']}", headers=host), 200)["is_active"] is False
    assert api.get("/properties", params={"city": city}).json()["items"] == []


def test_answers_are_fresh_right_after_a_write(api: httpx.Client, live_server: LiveServer) -> None:
    city = f"Leiden {uuid.uuid4().hex[:6]}"
    guest_id, _ = account(api, host=False)
    _, host = account(api, host=True)
    place = assert_status(api.post("/properties", json=listing(city), headers=host), 201)
    url = f"/properties/{place['id']}"
    # Pages and searches are read from the database each time (their cache lost on realistic traffic);
    # calendars are cached until a booking changes them.
    assert "x-cache" not in api.get(url).headers
    assert "x-cache" not in api.get("/properties", params={"city": city}).headers
    start = date.today() + timedelta(days=40)
    window = {"start": str(start), "end": str(start + timedelta(days=10))}
    assert api.get(url + "/availability", params=window).headers["x-cache"] == "miss"
    assert api.get(url + "/availability", params=window).headers["x-cache"] == "hit"
    book_directly(live_server, place["id"], guest_id, start + timedelta(days=2), start + timedelta(days=4))
    calendar = api.get(url + "/availability", params=window)
    assert calendar.headers["x-cache"] == "miss"
    assert calendar.json()["unavailable"] == [
        {"start": str(start + timedelta(days=2)), "end": str(start + timedelta(days=4))}
    ]

    stop = threading.Event()

    def hammer() -> None:
        with httpx.Client(base_url=live_server.url + "/api/v1", timeout=10) as client:
            while not stop.is_set():
                client.get(url)
                client.get("/properties", params={"city": city})

    readers = [threading.Thread(target=hammer) for _ in range(3)]
    for reader in readers:
        reader.start()
    try:
        for price in range(20_000, 20_010):
            api.patch(url, json={"price_per_night": price}, headers=host)
            # The write has returned: no reader may see the old price from now on.
            assert api.get(url).json()["price_per_night"] == price
            assert api.get("/properties", params={"city": city}).json()["items"][0]["price_per_night"] == price
    finally:
        stop.set()
        for reader in readers:
            reader.join()

    metrics = httpx.get(live_server.url + "/metrics").text
    assert 'airbnb_cache_lookups_total{endpoint="availability",result="hit"}' in metrics


def test_search_pages_visit_every_match_once_while_rows_are_inserted(api: httpx.Client) -> None:
    city = f"Delft {uuid.uuid4().hex[:6]}"
    _, host = account(api, host=True)
    for price in (5_000, 7_000, 7_000, 9_000, 12_000):
        assert_status(api.post("/properties", json=listing(city, price_per_night=price), headers=host), 201)
    seen: list[str] = []
    params: dict[str, Any] = {"city": city, "sort": "price_asc", "limit": 2}
    while True:
        page = assert_status(api.get("/properties", params=params), 200)
        seen += [p["id"] for p in page["items"]]
        # A listing created mid-way lands before the cursor and must not shift the pages after it.
        assert_status(api.post("/properties", json=listing(city, price_per_night=1_000), headers=host), 201)
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert len(seen) == len(set(seen)) == 5
    assert_status(api.get("/properties", params={"city": city, "cursor": "bm9wZQ"}), 422)
    assert_status(api.get("/properties", params={"check_in": "2031-01-01"}), 422)
    assert_status(api.get("/properties", params={"lat": 10}), 422)
    assert_status(api.get("/properties", params={"guests": "many"}), 422)


def test_property_pages_of_unknown_ids_are_404(api: httpx.Client) -> None:
    for path in ("", "/availability", "/reviews"):
        assert_status(api.get(f"/properties/{uuid.uuid4()}{path}"), 404)
