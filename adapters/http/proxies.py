"""Believe X-Forwarded-For and X-Forwarded-Proto only from the reverse proxies the operator named.

The client address keys the rate limits and the scheme decides HSTS, so a header any client can
send must not set them. The app does this itself, first in its middleware stack, so that it holds
however it is served: the ASGI server's own proxy-header support is turned off (``airbnb serve``
runs uvicorn with ``proxy_headers=False``), since uvicorn trusts 127.0.0.1 by default.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_SCHEMES = {
    ("http", "http"): "http",
    ("http", "https"): "https",
    ("websocket", "http"): "ws",
    ("websocket", "https"): "wss",
}


def _address(text: str) -> IPAddress | None:
    """An address as proxies write it: bare, ``[v6]``, or either with a port; None if it is none of these."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:  # IPv4 with a port; a bare IPv6 address has several colons
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    # A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d; the operator writes a.b.c.d.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


class TrustedProxies:
    """The peers whose forwarding headers are believed: addresses or CIDR networks."""

    def __init__(self, networks: Iterable[str]) -> None:
        self._networks = tuple(ipaddress.ip_network(n.strip(), strict=False) for n in networks)

    def __bool__(self) -> bool:
        return bool(self._networks)

    def trusts(self, address: IPAddress | None) -> bool:
        return address is not None and any(address in network for network in self._networks)

    def resolve(self, peer: str, forwarded_for: str | None, forwarded_proto: str | None) -> tuple[str, str | None]:
        """The client address, and the scheme it used (None: the connection's own), of a request from ``peer``.

        Each proxy appends the address it received the request from, so the right-most address that
        is not one of our proxies is the first one no proxy of ours can vouch for: the client. Anything
        left of it was written by the client itself.
        """
        if not self.trusts(_address(peer)):
            return peer, None
        client, chosen = peer, -1
        hops = [hop.strip() for hop in forwarded_for.split(",")] if forwarded_for else []
        if hops:
            chosen = 0  # every hop is one of ours: the left-most is the closest we know to the client
            for index in range(len(hops) - 1, -1, -1):
                if not self.trusts(_address(hops[index])):
                    chosen = index
                    break
            address = _address(hops[chosen])
            # Our proxy vouching for a hop that is no address is a misconfiguration, not a client to key limits on.
            client = str(address) if address is not None else peer
        protos = [p.strip().lower() for p in (forwarded_proto or "").split(",") if p.strip()]
        # Proxies that append to X-Forwarded-Proto line it up with X-Forwarded-For: the entry at the
        # client's hop is the scheme the client used. Otherwise the proxy in front set one value.
        proto = protos[chosen] if hops and len(protos) == len(hops) else (protos[-1] if protos else None)
        return client, proto if proto in ("http", "https") else None


class ProxyHeadersMiddleware(ASGIMiddleware):
    """Rewrite ``scope["client"]`` and ``scope["scheme"]`` from the forwarding headers of trusted proxies.

    Registered first, so the rate limits, the auth and GraphQL handlers and every other middleware
    see the resolved client.
    """

    scopes = (ScopeType.HTTP, ScopeType.WEBSOCKET)

    def __init__(self, trusted: TrustedProxies) -> None:
        self._trusted = trusted

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        peer = scope.get("client")
        if peer is not None:
            forwarded_for: list[str] = []
            forwarded_proto: list[str] = []
            for name, value in scope["headers"]:
                if name == b"x-forwarded-for":
                    forwarded_for.append(value.decode("latin-1"))
                elif name == b"x-forwarded-proto":
                    forwarded_proto.append(value.decode("latin-1"))
            # A repeated header is one comma-separated list (RFC 9110 §5.3).
            client, proto = self._trusted.resolve(peer[0], ",".join(forwarded_for), ",".join(forwarded_proto))
            if client != peer[0]:
                scope["client"] = (client, 0)
            if proto is not None:
                scope["scheme"] = _SCHEMES[(scope["type"], proto)]
        await next_app(scope, receive, send)
