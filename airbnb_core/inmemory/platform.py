"""The core wired to in-memory adapters: what a script imports to use the platform directly."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from decimal import Decimal

from airbnb_core.inmemory.clock import FixedClock, SystemClock
from airbnb_core.inmemory.notifications import RecordingNotifier
from airbnb_core.inmemory.payments import FakePaymentGateway
from airbnb_core.inmemory.security import HmacTokenService, ScryptPasswordHasher
from airbnb_core.inmemory.store import InMemoryStore, InMemoryUnitOfWork
from airbnb_core.ports.cache import NO_CACHE, CacheInvalidator
from airbnb_core.ports.security import PasswordHasher
from airbnb_core.services import Accounts, Listings, Services


@dataclass
class InMemoryPlatform:
    """The core wired to in-memory adapters: what a script imports to use the platform directly."""

    store: InMemoryStore
    clock: SystemClock | FixedClock
    notifier: RecordingNotifier
    payments: FakePaymentGateway
    cache: CacheInvalidator
    services: Services
    service_fee_rate: Decimal = Decimal("0.10")

    @property
    def accounts(self) -> Accounts:
        return self.services.accounts

    @property
    def listings(self) -> Listings:
        return self.services.listings


def in_memory_platform(
    clock: SystemClock | FixedClock | None = None,
    password_hasher: PasswordHasher | None = None,
    cache: CacheInvalidator = NO_CACHE,
) -> InMemoryPlatform:
    store = InMemoryStore()
    clock = clock or SystemClock()
    accounts = Accounts(
        uow=lambda: InMemoryUnitOfWork(store),
        hasher=password_hasher or ScryptPasswordHasher(),
        tokens=HmacTokenService(secrets.token_bytes(32)),
        clock=clock,
        cache=cache,
    )
    listings = Listings(uow=lambda: InMemoryUnitOfWork(store), clock=clock, cache=cache)
    return InMemoryPlatform(
        store, clock, RecordingNotifier(), FakePaymentGateway(), cache, Services(accounts, listings)
    )
