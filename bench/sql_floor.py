"""The search's own SQL, captured from the application and replayed straight into PostgreSQL.

The replay is the floor of the search endpoint: whatever the web stack adds, the endpoint cannot
answer faster than the database answers the queries it sends.
"""

from __future__ import annotations

import multiprocessing
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
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
    connections: int = 0  # over all clients; 0: one per client
    outcomes: dict[str, int] = field(default_factory=dict)  # the booking replay: committed / conflict / error

    @property
    def tail_ratio(self) -> float:
        return self.p99_ms / self.p50_ms if self.p50_ms else float("inf")


def _container(database_url: str) -> Any:
    from bootstrap import Settings, build_container

    return build_container(Settings(database_url=database_url, jwt_secret="bench-" * 8))


def detail_statements(property_ids: Sequence[uuid.UUID]) -> list[Search]:
    """What the server sends for each anonymous ``GET /api/v1/properties/{id}``: ``queries.postgres_property_page``."""
    from adapters.persistence import queries

    return [[queries.postgres_property_page(property_id)] for property_id in property_ids]


def search_statements(stays: Sequence[tuple[str, date, date]], guests: int, sort: str = "newest") -> list[Search]:
    """What the server sends for each dated search: ``queries.postgres_search`` over the endpoint's own criteria
    (``search_criteria``), one more row than the default page (``LIMIT_DEFAULT + 1``), now."""
    from datetime import UTC, datetime

    from adapters.http.properties import search_criteria
    from adapters.persistence import queries
    from airbnb_core.domain.pagination import LIMIT_DEFAULT
    from airbnb_core.domain.search import SearchSort

    searches: list[Search] = []
    for city, check_in, check_out in stays:
        criteria = search_criteria(
            city=city, country=None, q=None, check_in=check_in, check_out=check_out, guests=guests,
            min_price=None, max_price=None, amenities=None, instant_book=None, lat=None, lng=None, radius_km=None,
            sort=SearchSort(sort),
        )  # fmt: skip
        searches.append([queries.postgres_search(criteria, after=None, limit=LIMIT_DEFAULT + 1, now=datetime.now(UTC))])
    return searches


# ---------------------------------------------------------------------------------------------- booking


@dataclass(frozen=True)
class BookingTemplate:
    """One ``Bookings.request`` transaction as the ORM sent it, replayable with fresh ids, listing and dates.

    ``steps`` are (statement, parameters, role), role being the repository function that sent the statement
    (``flush`` for what the commit wrote). ``fresh`` swaps the captured listing for a random one of
    ``property_ids``, the captured stay for a random one, every other captured id (booking, outbox message)
    for a new one, and moves every timestamp by the time passed since the capture. A statement of
    ``conflict_role`` that returns rows is the application's 409: the replay rolls back there.
    """

    steps: tuple[tuple[str, Any, str], ...]
    property_id: uuid.UUID
    check_in: date
    check_out: date
    kept: frozenset[uuid.UUID]  # the guest's and hosts' ids, left as they are
    captured_at: float  # time.time()
    property_ids: tuple[uuid.UUID, ...]
    first_day: date
    days: int
    max_nights: int
    conflict_role: str = "held_stays"

    def fresh(self, rng: Any) -> list[tuple[str, Any, str]]:
        from datetime import timedelta

        day = self.first_day + timedelta(days=rng.randrange(self.days))
        stay = (day, day + timedelta(days=rng.randint(1, self.max_nights)))
        moved = timedelta(seconds=time.time() - self.captured_at)
        ids: dict[uuid.UUID, uuid.UUID] = {self.property_id: rng.choice(self.property_ids)}
        dates = {self.check_in: stay[0], self.check_out: stay[1]}

        def swap(value: Any) -> Any:
            from datetime import datetime

            if isinstance(value, uuid.UUID):
                if value in self.kept:
                    return value
                if value not in ids:
                    ids[value] = uuid.uuid4()
                return ids[value]
            if isinstance(value, datetime):
                return value + moved
            if isinstance(value, date):
                return dates.get(value, value)
            if isinstance(value, str):
                for old, new in ids.items():
                    value = value.replace(str(old), str(new))
                return value
            if isinstance(value, dict):
                return {k: swap(v) for k, v in value.items()}
            if isinstance(value, list | tuple):
                return type(value)(swap(v) for v in value)
            return value

        return [(statement, swap(parameters), role) for statement, parameters, role in self.steps]


def capture_booking(
    database_url: str,
    guest_id: uuid.UUID,
    property_ids: Sequence[uuid.UUID],
    first_day: date,
    *,
    days: int,
    max_nights: int,
) -> BookingTemplate:
    """The statements of one ``Bookings.request`` (on the first listing, a 3-night stay ``days`` // 2 days out),
    from the BEGIN its unit of work opens to its COMMIT; the booking it makes stays in the database."""
    import sys
    from datetime import timedelta

    import sqlalchemy as sa

    from airbnb_core.domain.stay import Stay
    from airbnb_core.services.bookings import RequestBooking

    container = _container(database_url)
    services, engine = container.services(), container.engine()
    with container.unit_of_work() as uow:
        guest = uow.users.get(guest_id)
        hosts = {p.host_id for p in uow.properties.get_many(set(property_ids)).values()}
    assert guest is not None, guest_id
    check_in = first_day + timedelta(days=days // 2)
    stay = Stay(check_in, check_in + timedelta(days=3))
    steps: list[tuple[str, Any, str]] = []
    state = {"open": False, "done": False}

    def role() -> str:
        frame = sys._getframe(2)
        while frame is not None:
            file = frame.f_code.co_filename
            if "adapters/persistence/repositories" in file:
                return frame.f_code.co_name
            frame = frame.f_back  # type: ignore[assignment]
        return "flush"

    def begin(_conn: Any) -> None:
        if not state["done"]:
            state["open"] = True

    def commit(_conn: Any) -> None:
        if state["open"]:
            state["open"], state["done"] = False, True

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if state["open"]:
            steps.append((statement, parameters, role()))

    events: list[tuple[Any, str, Callable[..., Any]]] = [
        (engine, "begin", begin),
        (engine, "commit", commit),
        (engine, "before_cursor_execute", record),
    ]
    for target, name, listener in events:
        sa.event.listen(target, name, listener)
    try:
        captured_at = time.time()
        services.bookings.request(guest, RequestBooking(property_ids[0], stay, 2))
    finally:
        for target, name, listener in events:
            sa.event.remove(target, name, listener)
        engine.dispose()
    if not steps or not any(r == "held_stays" for _, _, r in steps):
        raise RuntimeError(f"captured no booking transaction with a held_stays check: {[r for _, _, r in steps]}")
    return BookingTemplate(
        steps=tuple(steps),
        property_id=property_ids[0],
        check_in=stay.check_in,
        check_out=stay.check_out,
        kept=frozenset({guest_id, *hosts}),
        captured_at=captured_at,
        property_ids=tuple(property_ids),
        first_day=first_day,
        days=days,
        max_nights=max_nights,
    )


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
    connections_per_client: int = 1,
    booking: BookingTemplate | None = None,
) -> tuple[SqlResult, P, P]:
    """Replay ``searches`` in rotation from ``clients`` processes, each on its own connection, prepared.

    With ``connections_per_client`` > 1, each process runs that many asyncio psycopg connections at once
    (autocommit, prepared), as the server's AsyncConnectionPool does. With ``booking``, ``searches`` is
    ignored and every connection replays the booking transaction (``BookingTemplate.fresh``) instead.
    ``probe`` is called when the timed part starts and when it ends (e.g. to read CPU counters).
    """
    start = time.time() + START_MARGIN_SECONDS
    context = multiprocessing.get_context("spawn")
    outcomes: Counter[str] = Counter()
    jobs: list[Any]
    with context.Pool(clients) as pool:
        if connections_per_client > 1 or booking is not None:
            jobs = [
                pool.apply_async(
                    _async_client,
                    (dsn, list(searches), index, start, warmup_seconds, seconds, connections_per_client, booking),
                )
                for index in range(clients)
            ]
        else:
            jobs = [
                pool.apply_async(_client, (dsn, list(searches), index, start, warmup_seconds, seconds))
                for index in range(clients)
            ]
        time.sleep(max(0.0, start + warmup_seconds - time.time()))
        first = probe()
        time.sleep(max(0.0, start + warmup_seconds + seconds - time.time()))
        last = probe()
        latencies: list[float] = []
        for job in jobs:
            answer = job.get()
            if isinstance(answer, tuple):
                found, counted = answer
                latencies += found
                outcomes.update(counted)
            else:
                latencies += answer
        latencies.sort()
    if not latencies:
        raise RuntimeError("the SQL replay finished no search")
    result = SqlResult(
        queries_per_second=len(latencies) / seconds,
        p50_ms=_percentile(latencies, 0.50),
        p99_ms=_percentile(latencies, 0.99),
        searches=len(latencies),
        clients=clients,
        connections=clients * connections_per_client,
        outcomes=dict(outcomes),
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


def _async_client(
    dsn: str,
    searches: list[Search],
    index: int,
    start: float,
    warmup_seconds: float,
    seconds: float,
    connections: int,
    booking: BookingTemplate | None,
) -> tuple[list[float], dict[str, int]]:
    """One replaying process with ``connections`` asyncio connections: each sends one unit of work (a read's
    statements in autocommit, or the booking transaction) after another, timing those that start in the
    measured part."""
    import asyncio
    import random

    measure_from, stop = start + warmup_seconds, start + warmup_seconds + seconds
    latencies: list[float] = []
    outcomes: Counter[str] = Counter()

    async def reads(conn: psycopg.AsyncConnection[Any], n: int) -> str:
        for statement, parameters in searches[n % len(searches)]:
            cursor = await conn.execute(statement, parameters, prepare=True)
            await cursor.fetchall()
        return "ok"

    async def book(conn: psycopg.AsyncConnection[Any], rng: random.Random) -> str:
        assert booking is not None
        try:
            async with conn.transaction():  # BEGIN ... COMMIT, or ROLLBACK as the application does on a 409
                for statement, parameters, role in booking.fresh(rng):
                    cursor = await conn.execute(statement, parameters, prepare=True)
                    rows = await cursor.fetchall() if cursor.description else []
                    if role == booking.conflict_role and rows:
                        raise psycopg.Rollback()
                return "committed"
        except psycopg.Error:
            return "error"
        return "conflict"  # reached only when psycopg.Rollback left the block

    async def connect() -> psycopg.AsyncConnection[Any] | None:
        # The PostgreSQL server is shared: when it has no connection slot left ("too many clients"), retry
        # until the measured part starts; a connection still refused then is counted, not fatal.
        while True:
            try:
                return await psycopg.AsyncConnection.connect(dsn, autocommit=True)
            except psycopg.OperationalError:
                if time.time() >= measure_from:
                    return None
                await asyncio.sleep(0.5)

    async def worker(number: int) -> None:
        rng = random.Random(index * 7919 + number)  # noqa: S311 - load generation, not security
        opened = await connect()
        if opened is None:
            outcomes["connection refused"] += 1
            return
        async with opened as conn:
            await asyncio.sleep(max(0.0, start - time.time()))
            n = (index * connections + number) * 7  # connections start at different points of the rotation
            while (now := time.time()) < stop:
                began = time.perf_counter()
                outcome = await (book(conn, rng) if booking is not None else reads(conn, n))
                if now >= measure_from:
                    latencies.append((time.perf_counter() - began) * 1000)
                    outcomes[outcome] += 1
                n += 1

    async def main() -> None:
        await asyncio.gather(*(worker(number) for number in range(connections)))

    asyncio.run(main())
    return latencies, dict(outcomes)


def _percentile(ordered: Sequence[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]
