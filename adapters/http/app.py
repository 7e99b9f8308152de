"""The Litestar application factory."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from litestar import Litestar, Router
from litestar.config.cors import CORSConfig
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.types import ControllerRouterHandler
from prometheus_client.registry import Collector

from adapters.http.accesslog import AccessLog
from adapters.http.accounts import AuthController, UserController
from adapters.http.auth import provide_current_user
from adapters.http.bodies import decode_body_strictly
from adapters.http.bookings import BookingController, quote
from adapters.http.caching import CachedReads, ResponseCache
from adapters.http.docs import ScalarPage, SwaggerPage, docs_router
from adapters.http.headers import add_response_headers, log_request_ids
from adapters.http.idempotency import idempotent_request_dependency
from adapters.http.openapi import ClosedRequestBodies
from adapters.http.payments import BookingPaymentController
from adapters.http.problems import EXCEPTION_HANDLERS
from adapters.http.properties import PropertyController
from adapters.http.proxies import ProxyHeadersMiddleware, TrustedProxies
from adapters.http.ratelimit import ApiRateLimitMiddleware, HitCounter
from adapters.http.system import health, metrics_controller, readiness_handler
from adapters.http.webhooks import receive_payment_webhook
from airbnb_core.ports.idempotency import IdempotencyStore
from airbnb_core.services import Services

API_PREFIX = "/api/v1"


@dataclass(frozen=True)
class HttpSettings:
    debug: bool = False
    api_rate_limit: int = 600
    cors_origins: Sequence[str] = ()
    trusted_proxies: Sequence[str] = ()  # addresses or CIDR networks whose X-Forwarded-* headers are believed
    max_body_bytes: int = 1024 * 1024
    metrics_token: str | None = None  # when set, /metrics answers only to this bearer token


@dataclass(frozen=True)
class HttpDependencies:
    """What the web edge needs from the composition root."""

    services: Services
    response_cache: ResponseCache
    idempotency_store: IdempotencyStore
    readiness_checks: Mapping[str, Callable[[], None]] = field(default_factory=dict)
    api_hit_counter: HitCounter | None = None
    extra_route_handlers: Sequence[ControllerRouterHandler] = ()
    on_startup: Sequence[Callable[[], Any]] = ()
    on_shutdown: Sequence[Callable[[], Any]] = ()
    metrics_collectors: Sequence[Collector] = ()  # read at each scrape of /metrics


def _provide(value: object) -> Provide:
    """A dependency that is always ``value``, resolved without a worker thread."""

    def dependency() -> object:
        return value

    return Provide(dependency, sync_to_thread=False, use_cache=True)


def create_app(deps: HttpDependencies, settings: HttpSettings | None = None) -> Litestar:
    settings = settings or HttpSettings()
    log_request_ids()
    api = Router(
        path=API_PREFIX,
        route_handlers=[
            AuthController,
            UserController,
            PropertyController,
            BookingController,
            BookingPaymentController,
            receive_payment_webhook,
            quote,
        ],
    )
    middleware: list[Any] = []
    trusted_proxies = TrustedProxies(settings.trusted_proxies)
    if trusted_proxies:
        middleware.insert(0, ProxyHeadersMiddleware(trusted_proxies))  # first: everything after sees the client
    if deps.api_hit_counter is not None:
        middleware.append(ApiRateLimitMiddleware(deps.api_hit_counter, settings.api_rate_limit))
    services = deps.services
    reads = CachedReads(services, deps.response_cache)
    app = Litestar(
        route_handlers=[
            api,
            health,
            readiness_handler(deps.readiness_checks),
            metrics_controller(settings.metrics_token, deps.metrics_collectors),
            *deps.extra_route_handlers,
        ],
        dependencies={
            # Every use case, under its name in ``Services``: a handler asks for ``listings: Listings``.
            **{field.name: _provide(getattr(services, field.name)) for field in dataclasses.fields(Services)},
            "reads": _provide(reads),
            "current_user": Provide(provide_current_user, sync_to_thread=True),
            # For the operations that honour an Idempotency-Key (adapters/http/idempotency.py).
            "idempotent": idempotent_request_dependency(deps.idempotency_store),
        },
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=middleware,
        before_request=decode_body_strictly,
        plugins=[ClosedRequestBodies()],
        before_send=[add_response_headers],
        openapi_config=OpenAPIConfig(
            title="Airbnb clone API",
            version="1.0.0",
            description="Find, book and host places to stay. Errors are RFC 9457 problem documents.",
            openapi_router=docs_router(),
            render_plugins=[ScalarPage(), SwaggerPage()],
            components=Components(
                security_schemes={"BearerToken": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")}
            ),
        ),
        # Browsers on other origins get no access unless the operator names them.
        cors_config=CORSConfig(
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Retry-After", "RateLimit-Policy", "WWW-Authenticate"],
        )
        if settings.cors_origins
        else None,
        request_max_body_size=settings.max_body_bytes,
        on_startup=list(deps.on_startup),
        on_shutdown=list(deps.on_shutdown),
        debug=settings.debug,
        # Litestar's default would replace the root logger's handler with its own format; the entry
        # points set the format (adapters/logs.py) and problems.py logs the unhandled errors.
        logging_config=None,
    )
    app.asgi_handler = AccessLog(app.asgi_handler)
    return app
