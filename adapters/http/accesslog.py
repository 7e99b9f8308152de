"""One log line and the request series per request: what operators search and graph.

The one place that times a request. Litestar's Prometheus middleware did the same counting through a
``Request`` object and four label lookups per request, about a tenth of a trivial request's time; here
each (method, route, status) finds its series in a dict.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send
from prometheus_client import Counter, Gauge, Histogram

from adapters.http.headers import current_request_id, request_id_of

access_logger = logging.getLogger("airbnb.access")

_LABELS = ("method", "path", "status_code", "app_name")
REQUESTS = Counter("airbnb_requests_total", "Requests by route template and status", _LABELS)
DURATION = Histogram("airbnb_request_duration_seconds", "Request duration, in seconds", _LABELS)
ERRORS = Counter("airbnb_requests_error_total", "Answers of status 500 and above", _LABELS)
IN_PROGRESS = Gauge("airbnb_requests_in_progress", "Requests being served", multiprocess_mode="livesum")
_UNCOUNTED = frozenset({"/metrics"})  # a scrape counting itself would only measure the scraper
_NO_ROUTE = "(no route)"


class AccessLog:
    """Wraps the whole application, not one route: 404 and 405 answers, which no route handles, are logged
    and counted too.

    The line carries the route template, never the raw path, the query string, a header or a body:
    paths can hold ids worth keeping out of logs, and headers and bodies hold tokens and passwords.
    """

    def __init__(self, app: ASGIApp) -> None:
        self._app = app
        self._series: dict[tuple[str, str, int], tuple[Any, Any, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self._app(scope, receive, send)
            return
        await self._serve(scope, receive, send)

    async def _serve(self, scope: HTTPScope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        status = 500  # what the client sees if the app fails before it answers
        token = current_request_id.set(request_id_of(scope))

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        IN_PROGRESS.inc()
        try:
            await self._app(scope, receive, send_and_note_status)
        finally:
            IN_PROGRESS.dec()
            seconds = time.perf_counter() - started
            client = scope.get("client")  # after the app ran: a trusted proxy's client, when there is one
            route = scope.get("path_template")
            method = scope["method"]
            access_logger.info(
                "%s %s %s",
                method,
                route or _NO_ROUTE,
                status,
                extra={
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                    "client": client[0] if client else None,
                },
            )
            if route not in _UNCOUNTED:
                self._count(method, route or _NO_ROUTE, status, seconds)
            current_request_id.reset(token)

    def _count(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        series = self._series.get(key)
        if series is None:
            labels = (method, route, str(status), "airbnb")
            errors = ERRORS.labels(*labels) if status >= 500 else None
            series = self._series[key] = (REQUESTS.labels(*labels), DURATION.labels(*labels), errors)
        requests, duration, errors = series
        requests.inc()
        duration.observe(seconds)
        if errors is not None:
            errors.inc()
