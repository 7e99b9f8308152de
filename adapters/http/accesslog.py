"""One log line per request: what operators search when a client reports a failure by its request id."""

from __future__ import annotations

import logging
import time

from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send

from adapters.http.headers import current_request_id, request_id_of

access_logger = logging.getLogger("airbnb.access")


class AccessLog:
    """Wraps the whole application, not one route: 404 and 405 answers, which no route handles, are logged too.

    The line carries the route template, never the raw path, the query string, a header or a body:
    paths can hold ids worth keeping out of logs, and headers and bodies hold tokens and passwords.
    """

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self._app(scope, receive, send)
            return
        await self._serve(scope, receive, send)

    async def _serve(self, scope: HTTPScope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        status = 500  # what the client sees if the app fails before it answers
        request_id = request_id_of(scope)
        token = current_request_id.set(request_id)

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self._app(scope, receive, send_and_note_status)
        finally:
            client = scope.get("client")  # after the app ran: a trusted proxy's client, when there is one
            route = scope.get("path_template")
            access_logger.info(
                "%s %s %s",
                scope["method"],
                route or "(no route)",
                status,
                extra={
                    "method": scope["method"],
                    "route": route,
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    "client": client[0] if client else None,
                },
            )
            current_request_id.reset(token)
