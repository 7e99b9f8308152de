"""Request limits, shared through Redis, answer 429 with Retry-After."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.support.stack import live_server, production_like_settings


def test_sign_in_attempts_and_api_requests_are_limited_per_client(
    make_postgres_database: Callable[[], str], redis_url: str
) -> None:
    settings = production_like_settings(make_postgres_database(), redis_url, login_rate_limit=3, api_rate_limit=8)
    with live_server(settings) as server, httpx.Client(base_url=server.url, timeout=10) as http:
        attempts = [
            http.post("/api/v1/auth/login", json={"email": "a@example.com", "password": "whatever-1"}) for _ in range(4)
        ]
        assert [r.status_code for r in attempts] == [401, 401, 401, 429]
        assert attempts[-1].json()["code"] == "rate_limited"
        assert 1 <= int(attempts[-1].headers["retry-after"]) <= 60

        statuses = [http.get("/api/v1/users/me").status_code for _ in range(6)]
        assert statuses[:4] == [401] * 4 and statuses[4:] == [429, 429]
        assert http.get("/health").status_code == 200  # probes are never throttled
