"""Nested lists are batched: a page of properties, or of bookings, costs the same SQL statements at any size,
on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient

from adapters.graphql import build_graphql_router
from adapters.persistence import SqlAlchemyUnitOfWork, create_engine, make_session_factory, upgrade
from airbnb_core.domain.bookings import Booking
from airbnb_core.domain.payments import Payment, PaymentStatus
from airbnb_core.domain.properties import Property
from airbnb_core.domain.reviews import Review
from airbnb_core.domain.stay import Stay
from airbnb_core.domain.users import User
from airbnb_core.inmemory import HmacTokenService, SystemClock
from airbnb_core.ports.security import AccessClaims
from airbnb_core.services import Services
from tests.builders import a_booking, a_property, a_user
from tests.support.services import services_on

PROPERTIES = 60
HOSTS = 4
GUESTS = 5
REVIEWS_PER_PROPERTY = 4
TODAY = datetime.now(UTC).date()
PAGE = """query($limit: Int!, $start: Date!, $end: Date!) { properties(limit: $limit) { items {
  id
  host { name }
  reviews(limit: 3) { rating author { name } }
  availability(start: $start, end: $end) { start end }
} } }"""
BOOKINGS_PAGE = """query($limit: Int!) { myBookings(role: HOST, limit: $limit) { items {
  id status actions
  property { title host { name } reviews(limit: 3) { rating author { name } } }
  guest { name }
  payment { paymentStatus amount }
  review { rating author { name } }
} } }"""
TOKENS = HmacTokenService(b"k" * 32)  # the key services_on signs with


@pytest.fixture
def engine(postgres_url: str) -> Iterator[sa.Engine]:
    upgrade(postgres_url)
    engine = create_engine(postgres_url)
    yield engine
    engine.dispose()


@pytest.fixture
def services(engine: sa.Engine) -> Services:
    sessions = make_session_factory(engine)
    return services_on(lambda: SqlAlchemyUnitOfWork(sessions), clock=SystemClock())


@pytest.fixture
def seeded(services: Services, engine: sa.Engine) -> User:
    """60 properties of 4 hosts, each with 4 reviewed past stays by 5 guests and one upcoming booking, all paid;
    the first host."""
    now = datetime.now(UTC)
    sessions = make_session_factory(engine)
    hosts = [a_user(name=f"Host {i}", is_host=True, created_at=now) for i in range(HOSTS)]
    guests = [a_user(name=f"Guest {i}", created_at=now) for i in range(GUESTS)]
    places = [a_property(host=hosts[n % HOSTS], created_at=now - timedelta(minutes=n)) for n in range(PROPERTIES)]
    bookings, reviews = [], []
    for n, place in enumerate(places):
        for k in range(REVIEWS_PER_PROPERTY):
            guest = guests[(n + k) % GUESTS]
            past = _booking(place, guest, TODAY - timedelta(days=30 * (k + 1)), now)
            bookings.append(past)
            reviews.append(Review(uuid.uuid4(), past.id, guest.id, place.id, 1 + (n + k) % 5, "", now - timedelta(k)))
        bookings.append(_booking(place, guests[0], TODAY + timedelta(days=n % 20), now))
    # One unit of work per table, parents first: the repositories do not promise to order inserts.
    payments = [_payment(booking, now) for booking in bookings]
    tables = {
        "users": [*hosts, *guests], "properties": places, "bookings": bookings, "reviews": reviews,
        "payments": payments,
    }  # fmt: skip
    for repository, entities in tables.items():
        with SqlAlchemyUnitOfWork(sessions) as uow:
            for entity in entities:
                getattr(uow, repository).add(entity)
            uow.commit()
    return hosts[0]


@pytest.fixture
def http(services: Services) -> Iterator[TestClient[Litestar]]:
    app = Litestar(route_handlers=[build_graphql_router(lambda: services, graphiql=False)])
    with TestClient(app) as client:
        yield client


def _booking(place: Property, guest: User, check_in: date, now: datetime) -> Booking:
    return a_booking(guest=guest, place=place, stay=Stay(check_in, check_in + timedelta(days=3)), created_at=now)


def _payment(booking: Booking, now: datetime) -> Payment:
    return Payment(
        id=uuid.uuid4(), booking_id=booking.id, amount=booking.total_price, currency=booking.currency,
        provider="sandbox", provider_payment_id=f"pi_{booking.id.hex}", payment_method="pm_card_visa",
        payment_status=PaymentStatus.SUCCEEDED, created_at=now, updated_at=now,
    )  # fmt: skip


def _statements_for(
    http: TestClient[Litestar], engine: sa.Engine, query: str, headers: dict[str, str] | None = None, **variables: Any
) -> tuple[int, dict[str, Any]]:
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        response = http.post("/graphql", json={"query": query, "variables": variables}, headers=headers or {})
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    return len(statements), body["data"]


def _statements_for_page(http: TestClient[Litestar], engine: sa.Engine, limit: int) -> tuple[int, dict[str, Any]]:
    window = {"start": TODAY.isoformat(), "end": (TODAY + timedelta(days=30)).isoformat()}
    count, data = _statements_for(http, engine, PAGE, limit=limit, **window)
    return count, data["properties"]


@pytest.mark.usefixtures("seeded")
def test_a_page_of_properties_with_hosts_reviews_and_calendars_costs_the_same_statements_at_any_size(
    http: TestClient[Litestar], engine: sa.Engine
) -> None:
    small_count, small = _statements_for_page(http, engine, limit=5)
    large_count, large = _statements_for_page(http, engine, limit=50)

    assert len(small["items"]) == 5
    assert len(large["items"]) == 50
    for item in large["items"]:
        assert item["host"]["name"].startswith("Host ")
        assert len(item["reviews"]) == 3
        assert all(review["author"]["name"].startswith("Guest ") for review in item["reviews"])
        assert len(item["availability"]) == 1
    assert small_count == large_count <= 10


def test_a_page_of_bookings_with_properties_guests_payments_and_reviews_costs_the_same_statements_at_any_size(
    http: TestClient[Litestar], engine: sa.Engine, seeded: User
) -> None:
    token = TOKENS.issue_access_token(AccessClaims(seeded.id, seeded.session_version), datetime.now(UTC))
    as_host = {"Authorization": f"Bearer {token}"}

    small_count, small = _statements_for(http, engine, BOOKINGS_PAGE, as_host, limit=5)
    large_count, large = _statements_for(http, engine, BOOKINGS_PAGE, as_host, limit=50)

    assert len(small["myBookings"]["items"]) == 5
    items = large["myBookings"]["items"]
    assert len(items) == 50
    for item in items:
        assert item["property"]["host"] == {"name": "Host 0"}
        assert len(item["property"]["reviews"]) == 3
        assert item["guest"]["name"].startswith("Guest ")
        assert item["payment"] == {"paymentStatus": "SUCCEEDED", "amount": 33_000}
    reviewed = [item for item in items if item["review"] is not None]
    assert reviewed and all(item["review"]["author"] == item["guest"] for item in reviewed)
    assert all(item["actions"] == (["CANCEL"] if item["review"] is None else []) for item in items)
    # A small page may cost one statement more, never less: its properties' reviews may be by guests of no
    # booking on it, whose names a second batch of users then fetches.
    assert large_count <= small_count <= 14
