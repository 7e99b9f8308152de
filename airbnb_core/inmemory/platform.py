"""The core wired to in-memory adapters: what a script imports to use the platform directly."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from airbnb_core.domain.bookings import BookingTerms
from airbnb_core.inmemory.clock import SystemClock
from airbnb_core.inmemory.jobs import InlineJobQueue
from airbnb_core.inmemory.notifications import InMemoryDeliveryLog, RecordingNotifier
from airbnb_core.inmemory.payments import InMemoryPaymentGateway
from airbnb_core.inmemory.security import HmacTokenService, ScryptPasswordHasher
from airbnb_core.inmemory.store import InMemoryStore, InMemoryUnitOfWork
from airbnb_core.ports.cache import NO_CACHE, CacheInvalidator
from airbnb_core.ports.clock import Clock
from airbnb_core.ports.notifications import Notifier
from airbnb_core.ports.payments import PaymentGateway
from airbnb_core.ports.rate_limit import UNLIMITED, RateLimiter
from airbnb_core.ports.security import PasswordHasher, TokenService
from airbnb_core.services import Services, build_services


@dataclass(frozen=True)
class InMemoryPlatform:
    """The use cases over one in-memory store, and the ports they were given, for tests to look into."""

    store: InMemoryStore
    clock: Clock
    notifier: Notifier
    gateway: PaymentGateway
    cache: CacheInvalidator
    terms: BookingTerms
    services: Services


def in_memory_platform(
    *,
    clock: Clock | None = None,
    hasher: PasswordHasher | None = None,
    tokens: TokenService | None = None,
    gateway: PaymentGateway | None = None,
    notifier: Notifier | None = None,
    terms: BookingTerms | None = None,
    cache: CacheInvalidator = NO_CACHE,
    limiter: RateLimiter = UNLIMITED,
    attempts_per_minute: int = 10,
    store: InMemoryStore | None = None,
) -> InMemoryPlatform:
    """The platform on the given ports, in-memory ones for those not given.

    Nothing is cached and no attempt is limited unless a cache or a limiter is given. Notification jobs run
    inline, right after the commit that asked for them, and ``notifier`` keeps what they send.
    """
    store = store if store is not None else InMemoryStore()
    clock = clock or SystemClock()
    terms = terms or BookingTerms()
    gateway = gateway or InMemoryPaymentGateway()
    notifier = notifier or RecordingNotifier()
    jobs = InlineJobQueue()
    services = build_services(
        lambda: InMemoryUnitOfWork(store),
        clock=clock,
        hasher=hasher or ScryptPasswordHasher(),
        tokens=tokens or HmacTokenService(secrets.token_bytes(32)),
        terms=terms,
        gateway=gateway,
        jobs=jobs,
        notifier=notifier,
        delivery_log=InMemoryDeliveryLog(),
        cache=cache,
        limiter=limiter,
        attempts_per_minute=attempts_per_minute,
    )
    jobs.bind(services.notifications.run_job)
    return InMemoryPlatform(store, clock, notifier, gateway, cache, terms, services)
