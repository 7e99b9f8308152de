"""Liveness and readiness probes."""

from __future__ import annotations

import hmac
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from litestar import Controller, Response, get
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers import BaseRouteHandler, HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from msgspec import Struct
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.registry import Collector

from adapters.web import bearer_token

logger = logging.getLogger(__name__)


class Health(Struct):
    status: str


class Readiness(Struct):
    status: str
    checks: dict[str, str]


@get("/health", operation_id="health", tags=["system"], sync_to_thread=False)
def health() -> Health:
    """Liveness: the process is up and serving."""
    return Health("ok")


def readiness_handler(checks: Mapping[str, Callable[[], None]]) -> HTTPRouteHandler:
    @get(
        "/ready",
        operation_id="ready",
        tags=["system"],
        sync_to_thread=True,
        responses={503: ResponseSpec(Readiness, description="A backing service does not answer; `checks` names it")},
    )
    def ready() -> Response[Readiness]:
        """Readiness: every backing service (database, Redis) answers. 503 names the one that does not."""
        results: dict[str, str] = {}
        for name, check in checks.items():
            try:
                check()
                results[name] = "ok"
            except Exception as exc:  # any failure means not ready; the probe must not error itself
                logger.warning("readiness check %s failed: %s", name, exc)
                results[name] = "unavailable"
        ok = all(v == "ok" for v in results.values())
        return Response(Readiness("ok" if ok else "unavailable", results), status_code=200 if ok else 503)

    return ready


def exposition(collectors: Sequence[Collector] = ()) -> bytes:
    """Every series in Prometheus' text format: all workers' in multiprocess mode, then ``collectors``' own."""
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # The default registry holds only this worker's values; the directory holds every worker's.
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    extra = CollectorRegistry(auto_describe=False)
    for collector in collectors:
        extra.register(collector)
    return generate_latest(registry) + generate_latest(extra)


def metrics_controller(token: str | None, collectors: Sequence[Collector] = ()) -> type[Controller]:
    """``GET /metrics``; with a token, only callers presenting it as a bearer token may scrape."""

    class MetricsController(Controller):
        path = "/metrics"
        include_in_schema = False  # Prometheus' text format, not part of the JSON API

        # On a worker thread: the multiprocess files and the scrape-time collectors (Redis) block.
        @get(sync_to_thread=True)
        def scrape(self) -> Response[bytes]:
            return Response(exposition(collectors), headers={"Content-Type": CONTENT_TYPE_LATEST})

    if token is None:
        return MetricsController
    expected = token.encode()

    def require_token(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        sent = bearer_token(connection.headers.get("authorization")) or ""
        if not hmac.compare_digest(sent.encode(), expected):
            raise NotAuthorizedException("metrics need the scrape token", headers={"WWW-Authenticate": "Bearer"})

    class GuardedMetricsController(MetricsController):
        guards = [require_token]

    return GuardedMetricsController
