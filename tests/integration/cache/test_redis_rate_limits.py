"""The Redis rate limiter (GCRA) against a real Redis, on a clock the test sets."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
import redis
import redis.asyncio

from adapters.cache import RedisRateLimiter
from airbnb_core.inmemory import FixedClock, InMemoryRateLimiter

MINUTE = 1_900_000_020.0  # a minute boundary (divisible by 60), in seconds since the epoch


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clients(redis_url: str) -> Iterator[tuple[redis.Redis, redis.asyncio.Redis]]:
    sync, async_ = redis.Redis.from_url(redis_url), redis.asyncio.Redis.from_url(redis_url)
    yield sync, async_
    sync.close()


def limiter(clients: tuple[redis.Redis, redis.asyncio.Redis], clock: Clock) -> RedisRateLimiter:
    # The fallback counts only while Redis is down; a test that sees it counting has found a bug.
    fallback = InMemoryRateLimiter(FixedClock(datetime.fromtimestamp(clock.now, UTC)))
    return RedisRateLimiter(*clients, fallback=fallback, now=clock)


def test_concurrent_hits_never_exceed_the_limit(clients: tuple[redis.Redis, redis.asyncio.Redis]) -> None:
    shared = limiter(clients, Clock(MINUTE))
    with ThreadPoolExecutor(max_workers=16) as pool:
        verdicts = list(pool.map(lambda _: shared.hit("client", limit=10, window_seconds=60), range(60)))
    assert verdicts.count(None) == 10
    assert set(verdicts) == {None, 6}


def test_a_burst_just_before_a_minute_boundary_leaves_nothing_just_after_it(
    clients: tuple[redis.Redis, redis.asyncio.Redis],
) -> None:
    clock = Clock(MINUTE - 0.1)
    shared = limiter(clients, clock)
    assert [shared.hit("c", limit=10, window_seconds=60) for _ in range(10)] == [None] * 10

    clock.now = MINUTE + 0.1
    assert [shared.hit("c", limit=10, window_seconds=60) for _ in range(10)] == [6] * 10
    assert asyncio.run(shared.ahit_batched("c", limit=10, window_seconds=60)) == 6

    clock.now = MINUTE - 0.1 + 6  # one attempt has come back, and only one
    assert [shared.hit("c", limit=10, window_seconds=60) for _ in range(3)] == [None, 6, 6]


def test_a_bucket_left_alone_empties_from_redis(clients: tuple[redis.Redis, redis.asyncio.Redis]) -> None:
    shared = limiter(clients, Clock(MINUTE))
    shared.hit("c", limit=10, window_seconds=60)
    # Full again six seconds on: the key expires then instead of lingering.
    assert 5_000 <= clients[0].pttl("ratelimit:c") <= 6_000


def test_the_async_and_sync_paths_share_one_bucket(clients: tuple[redis.Redis, redis.asyncio.Redis]) -> None:
    shared = limiter(clients, Clock(MINUTE))
    assert shared.hit("c", limit=2, window_seconds=60) is None
    assert asyncio.run(shared.ahit_batched("c", limit=2, window_seconds=60)) is None
    assert shared.hit("c", limit=2, window_seconds=60) == 30


def test_batched_counting_stops_a_client_at_the_limit_across_workers(
    clients: tuple[redis.Redis, redis.asyncio.Redis],
) -> None:
    clock = Clock(MINUTE)
    workers = [limiter(clients, clock), limiter(clients, clock)]  # two server processes

    async def scenario() -> list[int | None]:
        return [await workers[i % 2].ahit_batched("c", limit=500, window_seconds=60) for i in range(700)]

    verdicts = asyncio.run(scenario())
    allowed = verdicts.count(None)
    # Exact near the limit: at most a batch (500 // 50) per worker past it, and nothing allowed after.
    assert 500 <= allowed <= 500 + 2 * 10
    assert all(v is not None for v in verdicts[allowed + 2 * 10 :])
    # Every attempt let through was told to Redis: the bucket is as far ahead as `allowed` attempts put it.
    interval = 60_000_000 // 500
    assert (int(clients[0].get("ratelimit:c")) - int(MINUTE * 1_000_000)) // interval == allowed


def test_batched_counting_asks_redis_first_about_a_client_it_has_not_seen(
    clients: tuple[redis.Redis, redis.asyncio.Redis],
) -> None:
    clock = Clock(MINUTE)
    limiter(clients, clock).hit("c", limit=500, window_seconds=60)
    for _ in range(499):
        limiter(clients, clock).hit("c", limit=500, window_seconds=60)  # another server spent the rest

    fresh_worker = limiter(clients, clock)
    assert asyncio.run(fresh_worker.ahit_batched("c", limit=500, window_seconds=60)) is not None
