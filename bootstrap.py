"""The composition root: reads settings once, builds the adapters and hands the use cases to the edges."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import ipaddress
import logging
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation

import anyio.to_thread
import redis
from dependency_injector import containers, providers
from litestar import Litestar
from sqlalchemy import make_url

from adapters.cache import (
    InMemoryResponseCache,
    RedisCircuitBreaker,
    RedisRateLimiter,
    RedisResponseCache,
    make_async_redis_client,
    make_redis_client,
)
from adapters.graphql import build_graphql_router
from adapters.http.app import HttpDependencies, HttpSettings, create_app
from adapters.jobs import RedisDeliveryLog, RqJobQueue
from adapters.logs import LOG_FORMATS
from adapters.metrics import JobQueueCollector, instrument_pool
from adapters.notifications import LoggingNotifier, SmtpNotifier, SmtpServer
from adapters.notifications.email import DEFAULT_EMAIL_FROM
from adapters.payments import ProviderContext, known_providers, load_provider
from adapters.payments.sandbox import SandboxPaymentGateway
from adapters.persistence import (
    POOL_SIZE,
    PsycopgListingQueries,
    SqlAlchemyIdempotencyStore,
    SqlAlchemyListingQueries,
    SqlAlchemyUnitOfWork,
    create_engine,
    make_session_factory,
    ping,
)
from adapters.security import Argon2PasswordHasher, JwtTokenService
from airbnb_core.domain.bookings import BookingTerms
from airbnb_core.inmemory import InlineJobQueue, InMemoryDeliveryLog, InMemoryRateLimiter, SystemClock
from airbnb_core.ports.rate_limit import RateLimiter
from airbnb_core.services import build_services

logger = logging.getLogger(__name__)

DEFAULT_DATABASE_URL = "sqlite:///./airbnb.db"
# Signs the sandbox provider's webhooks in development; production must set its own.
DEVELOPMENT_SANDBOX_WEBHOOK_SECRET = "whsec_sandbox_development_only"  # noqa: S105 (public on purpose)


class ConfigurationError(Exception):
    """The environment asks for something the platform cannot safely run with."""


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    database_url: str = DEFAULT_DATABASE_URL
    database_read_url: str | None = None  # None: the public reads go to database_url as well
    redis_url: str | None = None
    payment_provider: str = "sandbox"
    stripe_api_key: str | None = None
    stripe_webhook_secret: str | None = None
    stripe_api_base: str | None = None
    sandbox_webhook_secret: str = DEVELOPMENT_SANDBOX_WEBHOOK_SECRET
    sandbox_webhook_url: str | None = None  # unset: the sandbox's events are recorded, never sent
    jwt_secret: str = ""
    login_rate_limit: int = 10
    api_rate_limit: int = 600
    booking_hold_minutes: int = 15
    expiry_sweep_seconds: int = 60
    service_fee_rate: Decimal = Decimal("0.10")
    cors_origins: tuple[str, ...] = ()
    metrics_token: str | None = None
    graphql_introspection: bool = True
    trusted_proxies: tuple[str, ...] = ()  # unset: no proxy's X-Forwarded-* headers are believed
    ephemeral_jwt_secret: bool = False
    password_hash_concurrency: int | None = None  # None: the CPUs this process may use
    smtp_url: str | None = None  # None: notifications go to the log
    email_from: str = DEFAULT_EMAIL_FROM
    log_format: str = "text"  # from_env: json in production, where logs go to a shipper, text elsewhere

    @property
    def production(self) -> bool:
        return self.env == "production"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read ``AIRBNB_*`` variables; refuse insecure defaults when ``AIRBNB_ENV=production``."""
        env = os.environ if environ is None else environ

        def text(name: str) -> str | None:
            value = env.get(f"AIRBNB_{name}", "").strip()
            return value or None

        def number(name: str, default: int) -> int:
            raw = text(name)
            try:
                value = int(raw) if raw is not None else default
            except ValueError:
                raise ConfigurationError(f"AIRBNB_{name} must be a whole number, not {raw!r}") from None
            if value < 1:
                raise ConfigurationError(f"AIRBNB_{name} must be at least 1")
            return value

        try:
            fee_rate = Decimal(text("SERVICE_FEE_RATE") or "0.10")
        except InvalidOperation:
            raise ConfigurationError("AIRBNB_SERVICE_FEE_RATE must be a decimal such as 0.10") from None
        if not Decimal(0) <= fee_rate < Decimal(1):
            raise ConfigurationError("AIRBNB_SERVICE_FEE_RATE must be at least 0 and below 1")
        try:
            proxies = tuple(
                str(ipaddress.ip_network(item.strip(), strict=False))
                for item in (text("TRUSTED_PROXIES") or "").split(",")
                if item.strip()
            )
        except ValueError as exc:
            raise ConfigurationError(f"AIRBNB_TRUSTED_PROXIES must list addresses or CIDR networks: {exc}") from None

        env_name = text("ENV") or "development"
        introspection = text("GRAPHQL_INTROSPECTION")
        settings = cls(
            env=env_name,
            database_url=text("DATABASE_URL") or DEFAULT_DATABASE_URL,
            database_read_url=text("DATABASE_READ_URL"),
            redis_url=text("REDIS_URL"),
            payment_provider=text("PAYMENT_PROVIDER") or "sandbox",
            stripe_api_key=text("STRIPE_API_KEY"),
            stripe_webhook_secret=text("STRIPE_WEBHOOK_SECRET"),
            stripe_api_base=text("STRIPE_API_BASE"),
            sandbox_webhook_secret=text("SANDBOX_WEBHOOK_SECRET") or DEVELOPMENT_SANDBOX_WEBHOOK_SECRET,
            sandbox_webhook_url=text("SANDBOX_WEBHOOK_URL"),
            jwt_secret=text("JWT_SECRET") or "",
            login_rate_limit=number("LOGIN_RATE_LIMIT", 10),
            api_rate_limit=number("API_RATE_LIMIT", 600),
            booking_hold_minutes=number("BOOKING_HOLD_MINUTES", 15),
            expiry_sweep_seconds=number("EXPIRY_SWEEP_SECONDS", 60),
            service_fee_rate=fee_rate,
            cors_origins=tuple(o.strip().rstrip("/") for o in (text("CORS_ORIGINS") or "").split(",") if o.strip()),
            metrics_token=text("METRICS_TOKEN"),
            # The schema's shape is a map for attackers; production hides it unless asked to show it.
            graphql_introspection=introspection in ("1", "true", "yes") if introspection else env_name != "production",
            trusted_proxies=proxies,
            password_hash_concurrency=number("PASSWORD_HASH_CONCURRENCY", 1)
            if text("PASSWORD_HASH_CONCURRENCY")
            else None,
            smtp_url=text("SMTP_URL"),
            email_from=text("EMAIL_FROM") or DEFAULT_EMAIL_FROM,
            log_format=(text("LOG_FORMAT") or ("json" if env_name == "production" else "text")).lower(),
        )
        if settings.log_format not in LOG_FORMATS:
            raise ConfigurationError("AIRBNB_LOG_FORMAT must be json or text")
        if settings.smtp_url is not None:
            try:
                SmtpServer.from_url(settings.smtp_url)
            except ValueError as exc:
                raise ConfigurationError(f"AIRBNB_SMTP_URL: {exc}") from None
        if "@" not in settings.email_from:
            raise ConfigurationError("AIRBNB_EMAIL_FROM must hold an address, such as Name <no-reply@example.com>")
        if settings.env not in ("development", "production", "test"):
            raise ConfigurationError("AIRBNB_ENV must be development, test or production")
        if settings.production and len(settings.jwt_secret) < 32:
            raise ConfigurationError("AIRBNB_JWT_SECRET of at least 32 characters is required in production")
        if settings.production and (settings.metrics_token is None or len(settings.metrics_token) < 16):
            raise ConfigurationError("AIRBNB_METRICS_TOKEN of at least 16 characters is required in production")
        providers_known = sorted(known_providers())
        if settings.payment_provider not in providers_known:
            raise ConfigurationError(
                f"AIRBNB_PAYMENT_PROVIDER names no installed payment provider; the known ones are: "
                f"{', '.join(providers_known)}"
            )
        if (
            settings.production
            and settings.payment_provider == "sandbox"
            and (
                settings.sandbox_webhook_secret == DEVELOPMENT_SANDBOX_WEBHOOK_SECRET
                or len(settings.sandbox_webhook_secret) < 16
            )
        ):
            raise ConfigurationError(
                "AIRBNB_SANDBOX_WEBHOOK_SECRET of at least 16 characters is required in production"
            )
        if settings.payment_provider == "stripe":
            _require_stripe_credentials(settings)
        if "*" in settings.cors_origins:
            raise ConfigurationError("AIRBNB_CORS_ORIGINS names origins; a wildcard would open the API to every site")
        if not settings.jwt_secret:
            # Tokens then die with the process, which is what a development server wants.
            settings = dataclasses.replace(settings, jwt_secret=secrets.token_urlsafe(48), ephemeral_jwt_secret=True)
        return settings


def _require_stripe_credentials(settings: Settings) -> None:
    if not settings.stripe_api_key:
        raise ConfigurationError("AIRBNB_STRIPE_API_KEY is required when AIRBNB_PAYMENT_PROVIDER=stripe")
    # Without the endpoint's secret no webhook can be verified, and production relies on them.
    if settings.production and not settings.stripe_webhook_secret:
        raise ConfigurationError("AIRBNB_STRIPE_WEBHOOK_SECRET is required in production with the stripe provider")


def _ping_redis(client: redis.Redis) -> None:
    client.ping()


def _tune_worker() -> None:
    """Run once per server worker, in its event loop, before it serves."""
    # Use cases run on anyio's worker threads; one thread per pooled connection means a request
    # never holds a thread while it waits for a connection.
    anyio.to_thread.current_default_thread_limiter().total_tokens = POOL_SIZE
    # What start-up built lives as long as the worker: freezing it spares every later full
    # collection from scanning it, which otherwise stalls requests for tens of milliseconds.
    gc.collect()
    gc.freeze()


class Container(containers.DeclarativeContainer):
    config = providers.Configuration()

    engine = providers.Singleton(create_engine, config.database_url)
    session_factory = providers.Singleton(make_session_factory, engine)
    unit_of_work = providers.Factory(SqlAlchemyUnitOfWork, session_factory)
    # The listings' public reads (airbnb_core/services/listings.py says which); a second engine, hence a
    # second pool, only when AIRBNB_DATABASE_READ_URL names a replica.
    read_engine = providers.Selector(
        config.read_side,
        primary=engine,
        replica=providers.Singleton(create_engine, config.database_read_url),
    )
    read_unit_of_work = providers.Factory(SqlAlchemyUnitOfWork, providers.Singleton(make_session_factory, read_engine))
    # The anonymous listing pages and searches (adapters/persistence/queries.py says why two).
    listing_queries = providers.Selector(
        config.read_driver,
        psycopg=providers.Singleton(PsycopgListingQueries, config.read_database_url),
        sqlalchemy=providers.Singleton(SqlAlchemyListingQueries, read_engine),
    )

    clock = providers.Singleton(SystemClock)
    idempotency_store = providers.Singleton(SqlAlchemyIdempotencyStore, engine, clock)
    password_hasher = providers.Singleton(Argon2PasswordHasher, max_concurrent=config.password_hash_concurrency)
    token_service = providers.Singleton(JwtTokenService, config.jwt_secret)

    # By entry point (adapters/payments/registry.py); Settings.from_env refuses a name none of them has.
    payment_gateway = providers.Singleton(
        load_provider, config.payment_provider, providers.Factory(ProviderContext, engine, clock, config)
    )

    redis_client = providers.Singleton(make_redis_client, config.redis_url)
    async_redis_client = providers.Singleton(make_async_redis_client, config.redis_url)
    # One per process: when the limiter finds Redis down, the cache skips it too, and vice versa.
    redis_breaker = providers.Singleton(RedisCircuitBreaker)
    local_rate_limiter = providers.Singleton(InMemoryRateLimiter, clock)
    rate_limiter = providers.Selector(
        config.shared_state,
        memory=local_rate_limiter,
        redis=providers.Singleton(
            RedisRateLimiter, redis_client, async_redis_client, fallback=local_rate_limiter, breaker=redis_breaker
        ),
    )

    cache = providers.Selector(
        config.shared_state,
        memory=providers.Singleton(InMemoryResponseCache),
        redis=providers.Singleton(RedisResponseCache, redis_client, async_redis_client, breaker=redis_breaker),
    )

    # Without Redis, notification jobs run inline after the commit that asked for them (build_container
    # binds them) and the notifier is the log unless AIRBNB_SMTP_URL names a mail server.
    job_queue = providers.Selector(
        config.shared_state,
        memory=providers.Singleton(InlineJobQueue),
        redis=providers.Singleton(RqJobQueue, redis_client),
    )
    delivery_log = providers.Selector(
        config.shared_state,
        memory=providers.Singleton(InMemoryDeliveryLog),
        redis=providers.Singleton(RedisDeliveryLog, redis_client),
    )
    notifier = providers.Selector(
        config.notifier,
        log=providers.Singleton(LoggingNotifier),
        smtp=providers.Singleton(
            SmtpNotifier, providers.Callable(SmtpServer.from_url, config.smtp_url), config.email_from
        ),
    )

    booking_terms = providers.Singleton(
        BookingTerms,
        hold=providers.Callable(timedelta, minutes=config.booking_hold_minutes),
        service_fee_rate=config.service_fee_rate,
    )

    services = providers.Singleton(
        build_services,
        unit_of_work.provider,
        read_uow=read_unit_of_work.provider,
        queries=listing_queries,
        clock=clock,
        hasher=password_hasher,
        tokens=token_service,
        terms=booking_terms,
        gateway=payment_gateway,
        jobs=job_queue,
        notifier=notifier,
        delivery_log=delivery_log,
        cache=cache,
        limiter=rate_limiter,
        attempts_per_minute=config.login_rate_limit,
    )


def build_container(settings: Settings) -> Container:
    container = Container()
    values = dataclasses.asdict(settings)
    values["shared_state"] = "redis" if settings.redis_url else "memory"
    values["notifier"] = "smtp" if settings.smtp_url else "log"
    values["read_side"] = "replica" if settings.database_read_url else "primary"
    values["read_database_url"] = settings.database_read_url or settings.database_url
    postgres = make_url(values["read_database_url"]).get_backend_name() == "postgresql"
    values["read_driver"] = "psycopg" if postgres else "sqlalchemy"
    container.config.from_dict(values)
    jobs = container.job_queue()
    if isinstance(jobs, InlineJobQueue):
        jobs.bind(lambda name, args: container.services().notifications.run_job(name, args))
    return container


def deliver_sandbox_webhooks(container: Container) -> int:
    """Send the sandbox provider's undelivered events to ``AIRBNB_SANDBOX_WEBHOOK_URL``, for a scheduler to call;
    returns how many went. Without that URL, or with another provider, nothing is sent."""
    url = container.config.sandbox_webhook_url()
    gateway = container.payment_gateway()
    if not url or not isinstance(gateway, SandboxPaymentGateway):
        return 0
    return gateway.deliver_events(url)


class PeriodicJob:
    """Runs a use case every ``interval`` seconds on a worker thread while the server runs.

    Lapsed holds already read as expired everywhere; this stores it (and tells the outbox) where no
    worker runs (the embedded defaults). Every server process runs it: the use case locks the rows it
    changes, so two sweeps never expire one booking twice.
    """

    def __init__(self, job: Callable[[], object], interval: float) -> None:
        self._job = job
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await anyio.to_thread.run_sync(self._job)
            except Exception:  # the next round tries again; a failing round must not end the loop
                logger.exception("periodic job %s failed", getattr(self._job, "__qualname__", self._job))


def build_app(settings: Settings | None = None, container: Container | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    container = container or build_container(settings)
    services = container.services()
    readiness = {"database": lambda: ping(container.engine())}
    shutdown: list[Callable[[], object]] = [lambda: container.engine().dispose()]
    queries = container.listing_queries()
    if isinstance(queries, PsycopgListingQueries):
        shutdown.append(queries.close)
    instrument_pool(container.engine())
    if settings.database_read_url:
        read_engine = container.read_engine()
        readiness["database_replica"] = lambda: ping(read_engine)
        shutdown.append(read_engine.dispose)
    metrics_collectors = []
    if settings.redis_url:
        redis_client, async_redis_client = container.redis_client(), container.async_redis_client()
        readiness["redis"] = lambda: _ping_redis(redis_client)
        shutdown += [redis_client.close, async_redis_client.aclose]
        metrics_collectors.append(JobQueueCollector(redis_client))
    limiter: RateLimiter = container.rate_limiter()
    # With Redis, `airbnb worker` keeps the one schedule of periodic work (entrypoints/worker.py); the
    # embedded defaults have no worker, so each server process sweeps lapsed holds, relays what the
    # inline relays left (a failed send), reconciles payments and posts the sandbox's webhooks itself.
    sweeps = (
        []
        if settings.redis_url
        else [
            PeriodicJob(services.bookings.expire_lapsed, settings.expiry_sweep_seconds),
            PeriodicJob(services.notifications.relay, settings.expiry_sweep_seconds),
            PeriodicJob(services.payments.reconcile, settings.expiry_sweep_seconds),
            PeriodicJob(lambda: deliver_sandbox_webhooks(container), settings.expiry_sweep_seconds),
        ]
    )

    async def count_api_hit(client: str) -> int | None:
        if isinstance(limiter, RedisRateLimiter):
            return await limiter.ahit_batched(f"api:{client}", limit=settings.api_rate_limit, window_seconds=60)
        return limiter.hit(f"api:{client}", limit=settings.api_rate_limit, window_seconds=60)

    deps = HttpDependencies(
        services=services,
        response_cache=container.cache(),
        idempotency_store=container.idempotency_store(),
        readiness_checks=readiness,
        api_hit_counter=count_api_hit,
        extra_route_handlers=[
            build_graphql_router(
                lambda: services, graphiql=not settings.production, introspection=settings.graphql_introspection
            )
        ],
        on_startup=[_tune_worker, *(sweep.start for sweep in sweeps)],
        on_shutdown=[*(sweep.stop for sweep in sweeps), *shutdown],
        metrics_collectors=metrics_collectors,
    )
    return create_app(
        deps,
        HttpSettings(
            api_rate_limit=settings.api_rate_limit,
            cors_origins=settings.cors_origins,
            metrics_token=settings.metrics_token,
            trusted_proxies=settings.trusted_proxies,
        ),
    )


__all__ = ["ConfigurationError", "Container", "Settings", "build_app", "build_container"]
