from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from adapters.graphql import build_graphql_router
from airbnb_core.inmemory import (
    FixedClock,
    HmacTokenService,
    InMemoryRateLimiter,
    InMemoryStore,
    InMemoryUnitOfWork,
    ScryptPasswordHasher,
)
from airbnb_core.services import Accounts, Listings, Services
from tests.unit.graphql.support import ATTEMPTS_PER_MINUTE, GraphQLClient


@pytest.fixture
def store() -> InMemoryStore:
    return InMemoryStore()


@pytest.fixture
def clock() -> FixedClock:
    # A still clock keeps the attempt counter in one window for the whole test.
    return FixedClock(datetime(2030, 6, 1, 12, tzinfo=UTC))


@pytest.fixture
def accounts(store: InMemoryStore, clock: FixedClock) -> Accounts:
    return Accounts(
        uow=lambda: InMemoryUnitOfWork(store),
        # Cheap hashes keep the suite fast; the hashing itself is the core's concern.
        hasher=ScryptPasswordHasher(n=2**10),
        tokens=HmacTokenService(secrets.token_bytes(32)),
        clock=clock,
        limiter=InMemoryRateLimiter(clock),
        attempts_per_minute=ATTEMPTS_PER_MINUTE,
    )


@pytest.fixture
def listings(store: InMemoryStore, clock: FixedClock) -> Listings:
    return Listings(uow=lambda: InMemoryUnitOfWork(store), clock=clock)


@pytest.fixture
def services(accounts: Accounts, listings: Listings) -> Services:
    return Services(accounts, listings)


@pytest.fixture
def http(services: Services) -> Iterator[TestClient[Litestar]]:
    app = Litestar(route_handlers=[build_graphql_router(lambda: services, graphiql=True)])
    with TestClient(app) as client:
        yield client


@pytest.fixture
def gql(http: TestClient[Litestar]) -> GraphQLClient:
    return GraphQLClient(http)
