"""The main searches on a realistically sized PostgreSQL database read indexes, never whole tables.

PostgreSQL only, and required: without the server these tests fail rather than skip.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from adapters.persistence import SqlAlchemyUnitOfWork, create_engine, make_session_factory, upgrade
from adapters.persistence.seed import seed_database
from airbnb_core.domain.properties import Property
from airbnb_core.domain.search import Circle, SearchCriteria, SearchSort, sort_value
from airbnb_core.domain.stay import Stay

NOW = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
SOON = Stay(NOW.date() + timedelta(days=30), NOW.date() + timedelta(days=33))
WATCHED_TABLES = {"properties", "bookings"}


@pytest.fixture(scope="module")
def seeded_engine(make_postgres_database: Callable[[], str]) -> Iterator[sa.Engine]:
    """20,000 listings in 40 cities with 100,000 bookings, analyzed."""
    url = make_postgres_database()
    upgrade(url)
    seed_database(url, users=5_000, properties=20_000, bookings=100_000, reviews=20_000, now=NOW)
    engine = create_engine(url)
    yield engine
    engine.dispose()


def _search(engine: sa.Engine, criteria: SearchCriteria, page: list[Property]) -> tuple[list[Property], str, Any]:
    """The next page after ``page``, and the statement and parameters the repository sent for it."""
    sent: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        if "FROM properties" in statement:
            sent.append((statement, parameters))

    after = (sort_value(page[-1], criteria.sort), page[-1].id) if page else None
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        with SqlAlchemyUnitOfWork(make_session_factory(engine)) as uow:
            found = uow.properties.search(criteria, after=after, limit=21, now=NOW)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    [(statement, parameters)] = sent
    return found, statement, parameters


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


SEARCHES = {
    "city": SearchCriteria(city="paris"),
    "city, dates and guests": SearchCriteria(city="Paris", stay=SOON, guests=2),
    "dates": SearchCriteria(stay=SOON),
    "country, price range, cheapest first": SearchCriteria(
        country="us", min_price=10_000, max_price=30_000, sort=SearchSort.PRICE_ASC
    ),
    "dearest first": SearchCriteria(sort=SearchSort.PRICE_DESC),
    "text": SearchCriteria(text="rooftop montmartre"),
    "amenities": SearchCriteria(amenities=frozenset({"pool", "hot_tub"})),
    "common amenity": SearchCriteria(amenities=frozenset({"wifi"})),
    "radius": SearchCriteria(area=Circle(48.8566, 2.3522, 3)),
    "best rated": SearchCriteria(sort=SearchSort.RATING),
    "best rated in a city": SearchCriteria(city="Tokyo", sort=SearchSort.RATING),
    "newest": SearchCriteria(sort=SearchSort.NEWEST),
}


@pytest.mark.parametrize("criteria", SEARCHES.values(), ids=SEARCHES.keys())
def test_first_and_next_pages_of_a_search_use_indexes(seeded_engine: sa.Engine, criteria: SearchCriteria) -> None:
    engine = seeded_engine
    first, *_ = _search(engine, criteria, [])
    assert first, "the data set should have matches, or the plan proves nothing"
    for page in ([], first):
        _, statement, parameters = _search(engine, criteria, page)
        with engine.connect() as connection:
            [plan] = connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters).scalar_one()
        full_scans = [
            node["Relation Name"]
            for node in _nodes(plan["Plan"])
            if node["Node Type"] == "Seq Scan" and node.get("Relation Name") in WATCHED_TABLES
        ]
        assert not full_scans, json.dumps(plan, indent=1)
