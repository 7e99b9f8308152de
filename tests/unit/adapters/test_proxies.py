"""Whose X-Forwarded-For and X-Forwarded-Proto the app believes."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from adapters.http.proxies import ProxyHeadersMiddleware, TrustedProxies

PROXIES = TrustedProxies(["10.0.0.1", "192.168.0.0/16", "fd00::/8"])


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "client"),
    [
        ("203.0.113.9", "10.9.0.1", "203.0.113.9"),  # not a proxy of ours: its claim is ignored
        ("10.0.0.1", "198.51.100.7", "198.51.100.7"),
        ("10.0.0.1", "1.1.1.1, 198.51.100.7", "198.51.100.7"),  # the client wrote 1.1.1.1 itself
        ("10.0.0.1", "198.51.100.7, 192.168.4.4", "198.51.100.7"),  # a chain of our proxies
        ("10.0.0.1", "192.168.4.4, 192.168.4.5", "192.168.4.4"),  # only proxies: the farthest one
        ("192.168.1.2", "198.51.100.7:5123", "198.51.100.7"),
        ("fd00::1", "[2001:db8::5]:443, fd00::2", "2001:db8::5"),
        ("::ffff:10.0.0.1", "198.51.100.7", "198.51.100.7"),  # a dual-stack socket's view of 10.0.0.1
        ("10.0.0.1", None, "10.0.0.1"),
        ("10.0.0.1", "not-an-address", "10.0.0.1"),  # a broken proxy, not a client to key limits on
    ],
)
def test_the_client_is_the_right_most_address_no_trusted_proxy_vouches_for(
    peer: str, forwarded_for: str | None, client: str
) -> None:
    assert PROXIES.resolve(peer, forwarded_for, None)[0] == client


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "forwarded_proto", "scheme"),
    [
        ("203.0.113.9", None, "https", None),
        ("10.0.0.1", None, "https", "https"),
        ("10.0.0.1", "198.51.100.7", "HTTPS", "https"),
        ("10.0.0.1", "198.51.100.7, 192.168.4.4", "https, http", "https"),  # the client's hop, not the inner one
        ("10.0.0.1", "198.51.100.7, 192.168.4.4", "https", "https"),
        ("10.0.0.1", "198.51.100.7", "gopher", None),
    ],
)
def test_the_scheme_is_believed_only_from_a_trusted_proxy(
    peer: str, forwarded_for: str | None, forwarded_proto: str, scheme: str | None
) -> None:
    assert PROXIES.resolve(peer, forwarded_for, forwarded_proto)[1] == scheme


def test_nobody_is_trusted_when_no_proxy_is_configured() -> None:
    proxies = TrustedProxies([])
    assert not proxies
    assert proxies.resolve("127.0.0.1", "10.9.0.1", "https") == ("127.0.0.1", None)


def pass_through(scope: dict[str, Any]) -> dict[str, Any]:
    """The scope the application behind the middleware receives."""
    seen: dict[str, Any] = {}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.update(scope)

    async def nothing(*_: Any) -> Any:
        return None

    asyncio.run(ProxyHeadersMiddleware(PROXIES).handle(scope, nothing, nothing, app))  # type: ignore[arg-type]
    return seen


def test_the_middleware_rewrites_the_client_and_scheme_the_application_sees() -> None:
    headers = [
        (b"x-forwarded-for", b"1.1.1.1"),
        (b"x-forwarded-for", b"198.51.100.7"),
        (b"x-forwarded-proto", b"https"),
    ]
    seen = pass_through({"type": "http", "client": ("10.0.0.1", 4000), "scheme": "http", "headers": headers})
    assert (seen["client"], seen["scheme"]) == (("198.51.100.7", 0), "https")

    socket = pass_through({"type": "websocket", "client": ("10.0.0.1", 4000), "scheme": "ws", "headers": headers})
    assert socket["scheme"] == "wss"

    direct = pass_through({"type": "http", "client": ("203.0.113.9", 4000), "scheme": "http", "headers": headers})
    assert (direct["client"], direct["scheme"]) == (("203.0.113.9", 4000), "http")
