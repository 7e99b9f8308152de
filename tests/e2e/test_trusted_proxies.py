"""Whose X-Forwarded-For decides the client address that rate limits count against, over real HTTP."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.support.stack import live_server, production_like_settings

LOGIN = {"email": "nobody@example.com", "password": "pass-word-1"}


def client_from(address: str, base_url: str) -> httpx.Client:
    # All of 127.0.0.0/8 is this machine: a second local address is a second client.
    return httpx.Client(base_url=base_url, timeout=10, transport=httpx.HTTPTransport(local_address=address))


def log_in(http: httpx.Client, forwarded_for: str | None = None) -> int:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return http.post("/api/v1/auth/login", json=LOGIN, headers=headers).status_code


def test_without_trusted_proxies_a_client_can_neither_change_nor_borrow_an_address(
    make_postgres_database: Callable[[], str], redis_url: str
) -> None:
    settings = production_like_settings(make_postgres_database(), redis_url, login_rate_limit=10)
    assert settings.trusted_proxies == ()
    with (
        live_server(settings) as server,
        client_from("127.0.0.1", server.url) as attacker,
        client_from("127.0.0.2", server.url) as victim,
    ):
        assert [log_in(attacker, f"10.9.0.{n}") for n in range(10)] == [401] * 10
        assert log_in(attacker, "10.9.0.99") == 429  # a new claimed address is no new allowance
        assert log_in(attacker) == 429

        assert {log_in(attacker, "127.0.0.2") for _ in range(12)} == {429}  # nor can it spend the victim's
        assert log_in(victim) == 401


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_client(
    make_postgres_database: Callable[[], str], redis_url: str
) -> None:
    settings = production_like_settings(
        make_postgres_database(), redis_url, login_rate_limit=10, trusted_proxies=("127.0.0.1",)
    )
    with (
        live_server(settings) as server,
        client_from("127.0.0.1", server.url) as proxy,
        client_from("127.0.0.2", server.url) as stranger,
    ):
        assert [log_in(proxy, "10.9.0.1") for _ in range(10)] == [401] * 10
        assert log_in(proxy, "10.9.0.1") == 429
        assert log_in(proxy, "10.9.0.2") == 401  # another client behind the same proxy
        # The client wrote 10.9.0.3 itself; the proxy appended the address it saw.
        assert log_in(proxy, "10.9.0.3, 10.9.0.1") == 429
        # Only the configured proxy is believed: another local process claiming 10.9.0.2 is itself.
        assert [log_in(stranger, "10.9.0.1") for _ in range(10)] == [401] * 10
        assert log_in(stranger, "10.9.0.2") == 429
        assert log_in(proxy, "10.9.0.2") == 401
