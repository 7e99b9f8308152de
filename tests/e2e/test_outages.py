"""Backing services failing under a real server: Redis is optional to every request, PostgreSQL answers 503."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import httpx

import bootstrap
from tests.e2e.test_rest_properties import listing
from tests.support.outages import dead_postgres_url, dead_redis_url, throwaway_redis
from tests.support.server import running_server
from tests.support.stack import fast_hashing, live_server, production_like_settings


def host_and_guest_journey(api: httpx.Client) -> dict[str, httpx.Response]:
    """What a host and a visitor do, every step that touches the cache, the limits or the database."""
    email, city = f"h-{uuid.uuid4().hex[:12]}@example.com", f"Amsterdam {uuid.uuid4().hex[:6]}"
    steps: dict[str, httpx.Response] = {}
    steps["register"] = api.post(
        "/auth/register", json={"name": "Hal", "email": email, "password": "pass-word-1", "is_host": True}
    )
    steps["login"] = api.post("/auth/login", json={"email": email, "password": "pass-word-1"})
    steps["wrong password"] = api.post("/auth/login", json={"email": email, "password": "not-the-one"})
    token = steps["login"].json()["access_token"]
    host = {"Authorization": f"Bearer {token}"}
    steps["create"] = api.post("/properties", json=listing(city), headers=host)
    place = steps["create"].json()["id"]
    steps["search"] = api.get("/properties", params={"city": city})
    steps["search again"] = api.get("/properties", params={"city": city})
    steps["calendar"] = api.get(f"/properties/{place}/availability")
    steps["calendar again"] = api.get(f"/properties/{place}/availability")
    steps["property page"] = api.get(f"/properties/{place}")
    steps["update"] = api.patch(f"/properties/{place}", json={"title": "Canal house, renovated"}, headers=host)
    steps["page after the update"] = api.get(f"/properties/{place}")
    steps["me"] = api.get("/users/me", headers=host)
    return steps


def statuses(steps: dict[str, httpx.Response]) -> dict[str, int]:
    return {step: response.status_code for step, response in steps.items()}


EXPECTED = {
    "register": 201,
    "login": 200,
    "wrong password": 401,
    "create": 201,
    "search": 200,
    "search again": 200,
    "calendar": 200,
    "calendar again": 200,
    "property page": 200,
    "update": 200,
    "page after the update": 200,
    "me": 200,
}


def test_with_redis_unreachable_everything_but_readiness_works_and_nothing_is_cached(
    make_postgres_database: Callable[[], str],
) -> None:
    settings = production_like_settings(make_postgres_database(), dead_redis_url(), login_rate_limit=5)
    with live_server(settings) as server, httpx.Client(base_url=server.url + "/api/v1", timeout=10) as api:
        started = time.monotonic()
        steps = host_and_guest_journey(api)
        assert statuses(steps) == EXPECTED
        assert time.monotonic() - started < 5  # no request waits out a Redis timeout
        assert steps["calendar again"].headers["x-cache"] == "bypass"
        assert steps["page after the update"].json()["title"] == "Canal house, renovated"

        # The sign-in limit is still enforced, counted in this process: the journey spent three of five.
        login = {"email": "nobody@example.com", "password": "pass-word-1"}
        assert [api.post("/auth/login", json=login).status_code for _ in range(3)] == [401, 401, 429]

        ready = httpx.get(server.url + "/ready")
        assert ready.status_code == 503
        assert ready.json()["checks"] == {"database": "ok", "redis": "unavailable"}
        assert httpx.get(server.url + "/health").status_code == 200


def test_killing_redis_mid_run_fails_no_request(make_postgres_database: Callable[[], str]) -> None:
    with throwaway_redis() as redis_server:
        settings = production_like_settings(make_postgres_database(), redis_server.url)
        with live_server(settings) as server, httpx.Client(base_url=server.url + "/api/v1", timeout=10) as api:
            before = host_and_guest_journey(api)
            assert statuses(before) == EXPECTED
            assert before["calendar again"].headers["x-cache"] == "hit"

            redis_server.kill()

            after = host_and_guest_journey(api)
            assert statuses(after) == EXPECTED
            assert after["calendar again"].headers["x-cache"] == "bypass"
            assert after["page after the update"].json()["title"] == "Canal house, renovated"
            assert httpx.get(server.url + "/ready").json()["checks"]["redis"] == "unavailable"


def test_with_the_database_unreachable_requests_answer_503_with_retry_after() -> None:
    settings = bootstrap.Settings.from_env(
        {
            "AIRBNB_ENV": "test",
            "AIRBNB_DATABASE_URL": dead_postgres_url(),
            "AIRBNB_JWT_SECRET": "test-secret-that-is-long-enough-for-hs256",
        }
    )
    container = bootstrap.build_container(settings)
    fast_hashing(container)
    with (
        running_server(bootstrap.build_app(settings, container)) as url,
        httpx.Client(base_url=url, timeout=10) as http,
    ):
        started = time.monotonic()
        responses = [
            http.get("/api/v1/properties", params={"city": "Amsterdam"}),
            http.get(f"/api/v1/properties/{uuid.uuid4()}"),
            http.post("/api/v1/auth/login", json={"email": "ann@example.com", "password": "pass-word-1"}),
            http.post(
                "/api/v1/auth/register", json={"name": "Ann", "email": "ann@example.com", "password": "pw-12345"}
            ),
        ]
        for response in responses:
            assert response.status_code == 503, response.text
            assert response.headers["content-type"].startswith("application/problem+json")
            assert response.json()["code"] == "service_unavailable"
            assert response.json()["status"] == 503
            assert int(response.headers["retry-after"]) > 0

        graphql = http.post("/graphql", json={"query": '{ properties(city: "Amsterdam") { items { id } } }'})
        assert graphql.status_code == 503
        assert int(graphql.headers["retry-after"]) > 0
        [error] = graphql.json()["errors"]
        assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"
        assert error["extensions"]["retryAfterSeconds"] > 0
        assert time.monotonic() - started < 5

        assert http.get("/health").status_code == 200
        ready = http.get("/ready")
        assert ready.status_code == 503 and ready.json()["checks"] == {"database": "unavailable"}
