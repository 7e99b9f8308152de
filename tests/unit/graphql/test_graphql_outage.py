"""An unreachable database in GraphQL: SERVICE_UNAVAILABLE, and HTTP 503 when nothing could be answered."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from adapters.graphql import build_graphql_router
from airbnb_core.domain.errors import ServiceUnavailable
from airbnb_core.inmemory import FixedClock
from airbnb_core.ports.unit_of_work import UnitOfWork
from airbnb_core.services import Accounts, Services
from airbnb_core.services.accounts import RegisterUser
from tests.support.services import services_on


def unreachable_database() -> UnitOfWork:
    """The unit of work the persistence adapter gives when PostgreSQL does not answer."""
    raise ServiceUnavailable("the database cannot be reached; try again shortly", retry_after_seconds=7)


@pytest.fixture
def http(services: Services, clock: FixedClock) -> Iterator[TestClient[Litestar]]:
    # Accounts keep their working in-memory store: only the listings' database is down.
    services = dataclasses.replace(services, listings=services_on(unreachable_database, clock=clock).listings)
    app = Litestar(route_handlers=[build_graphql_router(lambda: services, graphiql=False)])
    with TestClient(app) as client:
        yield client


def test_an_operation_nothing_of_which_could_be_answered_is_a_503_with_retry_after(
    http: TestClient[Litestar],
) -> None:
    response = http.post("/graphql", json={"query": "{ properties { items { id } } }"})

    assert response.status_code == 503
    assert response.headers["retry-after"] == "7"
    [error] = response.json()["errors"]
    assert error["extensions"] == {
        "code": "SERVICE_UNAVAILABLE",
        "reason": "service_unavailable",
        "retryAfterSeconds": 7,
    }


def test_an_operation_partly_answered_keeps_its_data_and_status_200(
    http: TestClient[Litestar], accounts: Accounts
) -> None:
    ann = accounts.register(RegisterUser("Ann", "ann@example.com", "correct horse battery"))
    query = f'{{ user(id: "{ann.id}") {{ name }} property(id: "{ann.id}") {{ title }} }}'

    response = http.post("/graphql", json={"query": query})

    assert response.status_code == 200
    body = response.json()
    assert body["data"] == {"user": {"name": "Ann"}, "property": None}
    assert body["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
