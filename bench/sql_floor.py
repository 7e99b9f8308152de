"""The search's own SQL, captured from the application and replayed straight into PostgreSQL.

The replay is the floor of the search endpoint: whatever the web stack adds, the endpoint cannot
answer faster than the database answers the queries it sends.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

import psycopg

# One search = the statements (with their parameters) the application sent for it, in order.
Statement = tuple[str, Any]
Search = list[Statement]

START_MARGIN_SECONDS = 3.0
P = TypeVar("P")


@dataclass(frozen=True)
class SqlResult:
    queries_per_second: float
    p50_ms: float
    p99_ms: float
    searches: int
    clients: int

    @property
    def tail_ratio(self) -> float:
        return self.p99_ms / self.p50_ms if self.p50_ms else float("inf")


def capture_searches(database_url: str, stays: Sequence[tuple[str, date, date]], guests: int) -> list[Search]:
    """The SQL that ``Listings.search`` sends for each stay, as the search endpoint would call it.

    The criteria are built by the endpoint's own ``search_criteria`` and the page size is the
    endpoint's default, so the statements are the ones the benchmarked requests run.
    """
    import sqlalchemy as sa

    from adapters.http.properties import search_criteria
    from airbnb_core.domain.pagination import LIMIT_DEFAULT
    from airbnb_core.domain.search import SearchSort
    from bootstrap import Settings, build_container

    container = build_container(Settings(database_url=database_url, jwt_secret="bench-" * 8))
    listings, engine = container.listings(), container.engine()

    def search(city: str, check_in: date, check_out: date) -> None:
        criteria = search_criteria(
            city=city, country=None, q=None, check_in=check_in, check_out=check_out, guests=guests,
            min_price=None, max_price=None, amenities=None, instant_book=None, lat=None, lng=None, radius_km=None,
            sort=SearchSort.NEWEST,
        )  # fmt: skip
        listings.search(criteria, limit=LIMIT_DEFAULT)

    search(*stays[0])  # connects first, so the dialect's own start-up queries are not captured
    current: Search = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        current.append((statement, parameters))

    captured: list[Search] = []
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        for stay in stays:
            current = []
            search(*stay)
            captured.append(current)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
        engine.dispose()
    return captured


def statement_shapes(searches: Sequence[Search]) -> list[str]:
    """The distinct statement texts among ``searches`` (one per statement if the SQL does not vary)."""
    return sorted({statement for search in searches for statement, _ in search})


def explain(dsn: str, search: Search) -> list[str]:
    """``EXPLAIN (ANALYZE, BUFFERS)`` of each statement of one search, run twice so the second is cache-warm."""
    plans = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        for statement, parameters in search:
            for _ in range(2):
                rows = conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).fetchall()
            plans.append("\n".join(row[0] for row in rows))
    return plans


def measure(
    dsn: str,
    searches: Sequence[Search],
    *,
    clients: int,
    seconds: float,
    warmup_seconds: float,
    probe: Callable[[], P],
) -> tuple[SqlResult, P, P]:
    """Replay ``searches`` in rotation from ``clients`` processes, each on its own connection, prepared.

    ``probe`` is called when the timed part starts and when it ends (e.g. to read CPU counters).
    """
    start = time.time() + START_MARGIN_SECONDS
    context = multiprocessing.get_context("spawn")
    with context.Pool(clients) as pool:
        jobs = [
            pool.apply_async(_client, (dsn, list(searches), index, start, warmup_seconds, seconds))
            for index in range(clients)
        ]
        time.sleep(max(0.0, start + warmup_seconds - time.time()))
        first = probe()
        time.sleep(max(0.0, start + warmup_seconds + seconds - time.time()))
        last = probe()
        latencies = sorted(latency for job in jobs for latency in job.get())
    if not latencies:
        raise RuntimeError("the SQL replay finished no search")
    result = SqlResult(
        queries_per_second=len(latencies) / seconds,
        p50_ms=_percentile(latencies, 0.50),
        p99_ms=_percentile(latencies, 0.99),
        searches=len(latencies),
        clients=clients,
    )
    return result, first, last


def _client(
    dsn: str, searches: list[Search], index: int, start: float, warmup_seconds: float, seconds: float
) -> list[float]:
    """One replaying process: warm up, then time each search (all its statements) until the end."""
    measure_from, stop = start + warmup_seconds, start + warmup_seconds + seconds
    latencies: list[float] = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        time.sleep(max(0.0, start - time.time()))
        n = index * 7  # clients start at different points of the rotation
        while (now := time.time()) < stop:
            began = time.perf_counter()
            for statement, parameters in searches[n % len(searches)]:
                conn.execute(statement, parameters, prepare=True).fetchall()
            if now >= measure_from:
                latencies.append((time.perf_counter() - began) * 1000)
            n += 1
    return latencies


def _percentile(ordered: Sequence[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]
