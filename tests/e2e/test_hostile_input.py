"""Inputs a probe once turned into 500s: each now gets a clear 4xx and changes nothing, on both databases.

Every case here answered 500 before the hardening work (numbers past the column types, tampered
cursors, NUL bytes, padded text, the end of the calendar, deep JSON, lenient types).
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.support.stack import LiveServer, served_on

BIG = 2**63
INT32_OVERFLOW = 2**31
NUL = "a\x00b"


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
def server(
    request: pytest.FixtureRequest, make_postgres_database: Callable[[], str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    with served_on(request.param, make_postgres_database, tmp_path_factory.mktemp("hostile")) as running:
        yield running


@pytest.fixture(scope="module")
def host(api: httpx.Client) -> dict[str, str]:
    email = f"host-{uuid.uuid4().hex[:8]}@example.com"
    api.post("/auth/register", json={"name": "Hana", "email": email, "password": "pass-word-1", "is_host": True})
    token = api.post("/auth/login", json={"email": email, "password": "pass-word-1"}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def listing_id(api: httpx.Client, host: dict[str, str]) -> str:
    created = api.post("/properties", json=listing(), headers=host)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def listing(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Loft",
        "location": "1 Rue de Rivoli",
        "city": "Paris",
        "country": "FR",
        "latitude": 48.86,
        "longitude": 2.35,
        "price_per_night": 12_000,
        "currency": "EUR",
        "max_guests": 2,
    }
    return {**body, **overrides}


def cursor(*key: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode().rstrip("=")


def assert_client_error(response: httpx.Response, status: int = 422) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


SOME_ID = str(uuid.uuid4())
BAD_SEARCHES = [
    {"min_price": BIG},
    {"max_price": BIG},
    {"guests": INT32_OVERFLOW},
    {"q": NUL},
    {"city": NUL},
    {"country": "F\x00"},
    {"sort": "price_asc", "cursor": cursor("price_asc", str(BIG * 10), SOME_ID)},
    {"sort": "price_asc", "cursor": cursor("price_asc", "1e999", SOME_ID)},
    {"sort": "rating", "cursor": cursor("rating", "NaN", SOME_ID)},
    {"sort": "rating", "cursor": cursor("rating", "1E+999999999", SOME_ID)},
    {"sort": "newest", "cursor": cursor("newest", "2024-01-01T00:00:00", SOME_ID)},
    {"sort": "newest", "cursor": cursor("newest", "0001-01-01T00:00:00+14:00", SOME_ID)},
    {"sort": "newest", "cursor": cursor("newest", "9999-12-31T23:59:59-14:00", SOME_ID)},
    {"sort": "newest", "cursor": cursor("newest", "2024-01-01T00:00:00+00:00", "not-a-uuid")},
    {"cursor": base64.urlsafe_b64encode(b"[" * 300).decode()},
]


@pytest.mark.parametrize("params", BAD_SEARCHES, ids=[str(list(p.values())[-1])[:40] for p in BAD_SEARCHES])
def test_a_search_with_out_of_range_or_tampered_values_is_refused(api: httpx.Client, params: dict[str, Any]) -> None:
    assert_client_error(api.get("/properties", params=params))


@pytest.mark.parametrize(
    "fields",
    [
        {"price_per_night": BIG},
        {"cleaning_fee": BIG},
        {"max_guests": INT32_OVERFLOW},
        {"min_nights": INT32_OVERFLOW},
        {"max_nights": INT32_OVERFLOW},
        {"latitude": 1e300},
        {"price_per_night": "100"},
        {"max_guests": True},
        {"timezone": "localtime"},
        {"title": NUL},
        {"description": "fine\nlines but a \x00"},
        {"location": NUL},
        {"city": NUL},
        {"city": " " * 200 + "Paris"},
        {"title": "   "},
    ],
    ids=lambda fields: "-".join(f"{k}={str(v)[:12]!r}" for k, v in fields.items()),
)
def test_a_listing_with_values_its_columns_cannot_hold_is_refused(
    api: httpx.Client, host: dict[str, str], listing_id: str, fields: dict[str, Any]
) -> None:
    created = api.post("/properties", json=listing(**fields), headers=host)
    field = next(iter(fields))
    assert field in {e["field"] for e in assert_client_error(created)["errors"]}
    assert_client_error(api.patch(f"/properties/{listing_id}", json=fields, headers=host))
    assert api.get(f"/properties/{listing_id}").json()["title"] == "Loft"


def test_text_is_stored_trimmed(api: httpx.Client, host: dict[str, str]) -> None:
    created = api.post("/properties", json=listing(city="  Lyon  ", title=" Quiet flat "), headers=host)
    assert created.status_code == 201, created.text
    assert (created.json()["city"], created.json()["title"]) == ("Lyon", "Quiet flat")
    found = api.get("/properties", params={"city": "Lyon"}).json()["items"]
    assert [p["id"] for p in found] == [created.json()["id"]]


@pytest.mark.parametrize(
    "path, body",
    [
        ("/auth/register", {"name": NUL, "email": "nul-name@example.com", "password": "pass-word-1"}),
        ("/auth/register", {"name": "Ned", "email": "nul\x00@example.com", "password": "pass-word-1"}),
        ("/auth/register", {"name": "Ned", "email": "ned@example.com", "password": "pass-word-1", "is_host": "yes"}),
    ],
)
def test_sign_up_with_control_characters_or_loose_types_is_refused(
    api: httpx.Client, path: str, body: dict[str, Any]
) -> None:
    assert_client_error(api.post(path, json=body))


def test_an_amenity_outside_the_vocabulary_finds_nothing(api: httpx.Client, listing_id: str) -> None:
    for amenities in ("wifi\x00", "jacuzzi"):
        response = api.get("/properties", params={"amenities": amenities})
        assert response.status_code == 200 and response.json()["items"] == []


def test_login_with_a_nul_byte_is_refused_without_reaching_the_database(api: httpx.Client) -> None:
    response = api.post("/auth/login", json={"email": "a\x00@example.com", "password": "pass-word-1"})
    assert response.status_code in (401, 422), response.text


def test_reviews_cursor_is_checked_after_decoding(api: httpx.Client, listing_id: str) -> None:
    for bad in (
        cursor("2024-01-01T00:00:00", SOME_ID),
        cursor("0001-01-01T00:00:00+14:00", SOME_ID),
        cursor(12, SOME_ID),
        cursor("2024-01-01T00:00:00+00:00", "x"),
    ):
        assert_client_error(api.get(f"/properties/{listing_id}/reviews", params={"cursor": bad}))


def test_the_calendar_stops_at_the_end_of_time(api: httpx.Client, listing_id: str) -> None:
    assert_client_error(api.get(f"/properties/{listing_id}/availability", params={"start": "9999-12-31"}))
    last_day = api.get(f"/properties/{listing_id}/availability", params={"start": "9999-12-30"})
    assert last_day.status_code == 200 and last_day.json() == {"unavailable": []}


def test_deeply_nested_json_is_a_bad_request(api: httpx.Client, server: LiveServer, host: dict[str, str]) -> None:
    nested = b"[" * 100_000 + b"]" * 100_000
    for body in (nested, b'{"title": ' + nested + b"}"):
        response = api.post("/properties", content=body, headers={**host, "content-type": "application/json"})
        assert response.status_code in (400, 422), response.text
    graphql = httpx.post(
        server.url + "/graphql",
        content=b'{"query": "{ me { id } }", "variables": {"x": ' + nested + b"}}",
        headers={"content-type": "application/json"},
    )
    assert graphql.status_code == 400
    assert graphql.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


def test_a_body_that_is_not_json_is_unsupported(api: httpx.Client, server: LiveServer) -> None:
    body = json.dumps({"email": "a@example.com", "password": "pass-word-1"})
    response = api.post("/auth/login", content=body, headers={"content-type": "text/plain"})
    assert_client_error(response, 415)
    graphql = httpx.post(server.url + "/graphql", content='{"query": "{ me { id } }"}')
    assert graphql.status_code == 415


def gql(server: LiveServer, query: str, headers: dict[str, str] | None = None, **variables: Any) -> list[Any]:
    response = httpx.post(server.url + "/graphql", json={"query": query, "variables": variables}, headers=headers)
    assert response.status_code == 200, response.text
    errors: list[Any] = response.json().get("errors", [])
    assert errors, response.text
    assert all(e["extensions"]["code"] in ("BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED") for e in errors), errors
    return errors


def test_the_same_inputs_are_refused_over_graphql(server: LiveServer, host: dict[str, str], listing_id: str) -> None:
    search = "query($c: String, $q: String, $min: Int, $s: PropertySort!) "
    search += "{ properties(cursor: $c, q: $q, minPrice: $min, sort: $s) { items { id } } }"
    gql(server, search, s="PRICE_ASC", c=cursor("price_asc", str(BIG * 10), SOME_ID))
    gql(server, search, s="NEWEST", c=cursor("newest", "2024-01-01T00:00:00", SOME_ID))
    gql(server, search, s="NEWEST", c="A" * 100_000)
    gql(server, search, s="NEWEST", q=NUL)
    gql(server, search, s="NEWEST", min=BIG)
    reviews = "query($id: ID!, $c: String) { propertyReviews(propertyId: $id, cursor: $c) { items { id } } }"
    gql(server, reviews, id=listing_id, c=cursor("0001-01-01T00:00:00+14:00", SOME_ID))
    register = 'mutation($n: String!, $e: String!) { register(name: $n, email: $e, password: "pass-word-1") { id } }'
    gql(server, register, n=NUL, e="gql-nul@example.com")
    create = "mutation($i: PropertyInput!) { createProperty(input: $i) { id } }"
    fields = listing(title=NUL, pricePerNight=12_000, maxGuests=2)
    del fields["price_per_night"], fields["max_guests"]
    gql(server, create, host, i=fields)
    calendar = 'query($id: ID!) { property(id: $id) { availability(start: "9999-12-31") { start } } }'
    gql(server, calendar, id=listing_id)
