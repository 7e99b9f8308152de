"""``Idempotency-Key`` on ``POST /bookings`` over real HTTP, on both databases: a retry replays, never books twice."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from adapters.sql_types import UTCDateTime
from tests.support.concurrency import race
from tests.support.members import member
from tests.support.stack import LiveServer, served_on

IN_A_MONTH = date.today() + timedelta(days=30)
LISTING = {
    "title": "Canal loft", "location": "3 Quay", "city": "Bruges", "country": "BE", "latitude": 51.2,
    "longitude": 3.22, "price_per_night": 9_000, "currency": "EUR", "max_guests": 4,
}  # fmt: skip


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
def server(
    request: pytest.FixtureRequest, make_postgres_database: Callable[[], str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    with served_on(request.param, make_postgres_database, tmp_path_factory.mktemp("idempotency")) as running:
        yield running


@pytest.fixture
def listing(api: httpx.Client) -> str:
    created = api.post("/properties", json=LISTING, headers=member(api, host=True))
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


@pytest.fixture
def guest(api: httpx.Client) -> dict[str, str]:
    return member(api)


def stay(nights: int = 3, *, after: int = 0) -> dict[str, Any]:
    check_in = IN_A_MONTH + timedelta(days=after)
    return {"check_in": check_in.isoformat(), "check_out": (check_in + timedelta(days=nights)).isoformat(), "guests": 2}


def book(api: httpx.Client, guest: dict[str, str], listing: str, key: str, **body: Any) -> httpx.Response:
    headers = httpx.Headers({**guest, "Idempotency-Key": key}, encoding="utf-8")  # utf-8: a non-ASCII key goes out
    return api.post("/bookings", json={"property_id": listing, **stay(), **body}, headers=headers)


def bookings_of(api: httpx.Client, guest: dict[str, str]) -> list[str]:
    listed = api.get("/bookings", params={"limit": 100}, headers=guest)
    assert listed.status_code == 200, listed.text
    return [b["id"] for b in listed.json()["items"]]


def test_a_retry_replays_the_first_response_without_booking_again(
    api: httpx.Client, listing: str, guest: dict[str, str]
) -> None:
    key = str(uuid.uuid4())
    first = book(api, guest, listing, key)
    assert first.status_code == 201, first.text
    again = book(api, guest, listing, key)
    assert (again.status_code, again.content, again.headers["content-type"]) == (
        201, first.content, first.headers["content-type"],
    )  # fmt: skip
    assert again.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers
    assert bookings_of(api, guest) == [first.json()["id"]]


def test_the_same_key_with_another_body_is_refused(api: httpx.Client, listing: str, guest: dict[str, str]) -> None:
    key = str(uuid.uuid4())
    first = book(api, guest, listing, key)
    assert first.status_code == 201, first.text
    other = book(api, guest, listing, key, **stay(2, after=10))
    assert other.status_code == 422, other.text
    assert (other.headers["content-type"], other.json()["code"]) == (
        "application/problem+json",
        "idempotency_key_reused",
    )
    assert bookings_of(api, guest) == [first.json()["id"]]


def test_another_users_key_is_not_theirs(api: httpx.Client, listing: str, guest: dict[str, str]) -> None:
    key = "shared-key"
    mine = book(api, guest, listing, key)
    theirs = book(api, member(api), listing, key, **stay(after=5))  # another body, which is no reuse for them
    assert (mine.status_code, theirs.status_code) == (201, 201), theirs.text
    assert mine.json()["id"] != theirs.json()["id"]


def test_ten_concurrent_duplicates_make_one_booking(api: httpx.Client, listing: str, guest: dict[str, str]) -> None:
    key = str(uuid.uuid4())
    outcomes = race([lambda: book(api, guest, listing, key) for _ in range(10)])
    responses = [outcome for outcome in outcomes if isinstance(outcome, httpx.Response)]
    assert len(responses) == 10, outcomes
    assert {(r.status_code, r.content) for r in responses} == {(201, responses[0].content)}
    assert sum("idempotent-replayed" in r.headers for r in responses) == 9
    assert bookings_of(api, guest) == [responses[0].json()["id"]]


@pytest.mark.parametrize(
    "key",
    ["", "x" * 256, "tab\tinside", "café"],
    ids=["empty", "256", "tab", "not-ascii"],
)
def test_a_malformed_key_is_refused_and_nothing_happens(
    api: httpx.Client, listing: str, guest: dict[str, str], key: str
) -> None:
    refused = book(api, guest, listing, key)
    assert refused.status_code == 422, refused.text
    assert [e["field"] for e in refused.json()["errors"]] == ["Idempotency-Key"]
    assert bookings_of(api, guest) == []


def test_the_longest_key_is_accepted(api: httpx.Client, listing: str, guest: dict[str, str]) -> None:
    key = "k" * 254 + "~"
    assert book(api, guest, listing, key).status_code == 201
    assert book(api, guest, listing, key).headers["idempotent-replayed"] == "true"


def test_a_conflict_is_replayed_as_the_conflict_it_was(api: httpx.Client, listing: str, guest: dict[str, str]) -> None:
    holder = member(api)
    held = book(api, holder, listing, "hold")
    assert held.status_code == 201, held.text
    key = str(uuid.uuid4())
    conflict = book(api, guest, listing, key)
    assert (conflict.status_code, conflict.json()["code"]) == (409, "booking_conflict")
    assert api.post(f"/bookings/{held.json()['id']}/cancel", headers=holder).status_code == 200
    # The nights are free now, but the key already has its answer.
    replayed = book(api, guest, listing, key)
    assert (replayed.status_code, replayed.content, replayed.headers["content-type"]) == (
        409, conflict.content, "application/problem+json",
    )  # fmt: skip
    assert bookings_of(api, guest) == []


def test_a_key_older_than_a_day_runs_anew(
    server: LiveServer, api: httpx.Client, listing: str, guest: dict[str, str]
) -> None:
    key = str(uuid.uuid4())
    first = book(api, guest, listing, key)
    assert api.post(f"/bookings/{first.json()['id']}/cancel", headers=guest).status_code == 200
    backdate(server, key, hours=25)
    anew = book(api, guest, listing, key)
    assert anew.status_code == 201, anew.text
    assert "idempotent-replayed" not in anew.headers and anew.json()["id"] != first.json()["id"]
    backdate(server, key, hours=25)
    assert book(api, guest, listing, key, **stay(after=20)).status_code == 201  # another body is no reuse either


def test_without_a_key_every_request_runs(api: httpx.Client, listing: str, guest: dict[str, str]) -> None:
    body = {"property_id": listing, **stay()}
    assert api.post("/bookings", json=body, headers=guest).status_code == 201
    assert api.post("/bookings", json=body, headers=guest).status_code == 409


def backdate(server: LiveServer, key: str, *, hours: int) -> None:
    records = sa.table("idempotency_records", sa.column("key"), sa.column("created_at", UTCDateTime()))
    with server.container.engine().begin() as connection:
        stored = connection.execute(sa.select(records.c.created_at).where(records.c.key == key)).scalar_one()
        moved = connection.execute(
            sa.update(records).where(records.c.key == key).values(created_at=stored - timedelta(hours=hours))
        )
        assert moved.rowcount == 1
