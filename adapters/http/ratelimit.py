"""The API-wide request limit per client, as ASGI middleware."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from airbnb_core.domain.errors import RateLimited

_PROBES = frozenset({"/health", "/ready", "/metrics"})

# Counts one request of a client; None while allowed, else the seconds until it may retry.
HitCounter = Callable[[str], Awaitable[int | None]]


class ApiRateLimitMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)
    should_bypass_for_scope = staticmethod(lambda scope: scope["path"] in _PROBES)

    def __init__(self, hit: HitCounter, limit: int) -> None:
        self._hit = hit
        self._limit = limit

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        client = scope.get("client")
        wait = await self._hit(client[0] if client else "unknown")
        if wait is not None:
            raise RateLimited("too many requests; slow down", retry_after_seconds=wait)

        async def send_with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableScopeHeaders.from_message(message)["RateLimit-Policy"] = f"{self._limit};w=60"
            await send(message)

        await next_app(scope, receive, send_with_policy)
