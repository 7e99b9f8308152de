from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from adapters.graphql import build_graphql_router
from airbnb_core.inmemory import (
    FixedClock,
    InMemoryPlatform,
    InMemoryRateLimiter,
    InMemoryStore,
    ScryptPasswordHasher,
    in_memory_platform,
)
from airbnb_core.services import Accounts, Listings, Services
from tests.unit.graphql.support import ATTEMPTS_PER_MINUTE, GraphQLClient


@pytest.fixture
def clock() -> FixedClock:
    # A still clock keeps the attempt counter in one window for the whole test.
    return FixedClock(datetime(2030, 6, 1, 12, tzinfo=UTC))


@pytest.fixture
def platform(clock: FixedClock) -> InMemoryPlatform:
    return in_memory_platform(
        clock=clock,
        # Cheap hashes keep the suite fast; the hashing itself is the core's concern.
        hasher=ScryptPasswordHasher(n=2**10),
        limiter=InMemoryRateLimiter(clock),
        attempts_per_minute=ATTEMPTS_PER_MINUTE,
    )


@pytest.fixture
def store(platform: InMemoryPlatform) -> InMemoryStore:
    return platform.store


@pytest.fixture
def services(platform: InMemoryPlatform) -> Services:
    return platform.services


@pytest.fixture
def accounts(services: Services) -> Accounts:
    return services.accounts


@pytest.fixture
def listings(services: Services) -> Listings:
    return services.listings


@pytest.fixture
def http(services: Services) -> Iterator[TestClient[Litestar]]:
    app = Litestar(route_handlers=[build_graphql_router(lambda: services, graphiql=True)])
    with TestClient(app) as client:
        yield client


@pytest.fixture
def gql(http: TestClient[Litestar]) -> GraphQLClient:
    return GraphQLClient(http)
