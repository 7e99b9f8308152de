"""The Redis-backed cache and rate limiter against a real Redis."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
import redis.asyncio

from adapters.cache import RedisRateLimiter, RedisResponseCache
from airbnb_core.inmemory import InMemoryCache


@pytest.fixture
def clients(redis_url: str) -> Iterator[tuple[redis.Redis, redis.asyncio.Redis]]:
    sync, async_ = redis.Redis.from_url(redis_url), redis.asyncio.Redis.from_url(redis_url)
    yield sync, async_
    sync.close()


@pytest.fixture(params=["redis", "in-process"])
def cache(request: pytest.FixtureRequest) -> RedisResponseCache | InMemoryCache:
    if request.param == "in-process":
        return InMemoryCache()
    sync, async_ = request.getfixturevalue("clients")
    return RedisResponseCache(sync, async_)


def test_a_stored_answer_is_served_until_one_of_its_scopes_is_invalidated(
    cache: RedisResponseCache | InMemoryCache,
) -> None:
    async def scenario() -> None:
        value, key = await cache.lookup("property:1", ["property:1", "profiles"])
        assert value is None
        await cache.store(key, b"v1", 60)
        assert (await cache.lookup("property:1", ["property:1", "profiles"]))[0] == b"v1"
        cache.invalidate("property:2")
        assert (await cache.lookup("property:1", ["property:1", "profiles"]))[0] == b"v1"
        cache.invalidate("profiles")
        assert (await cache.lookup("property:1", ["property:1", "profiles"]))[0] is None

    asyncio.run(scenario())


def test_an_answer_computed_before_a_write_is_never_served_after_it(
    cache: RedisResponseCache | InMemoryCache,
) -> None:
    async def scenario() -> None:
        _, slow_readers_key = await cache.lookup("search:q", ["search"])  # a reader starts, reads the old data…
        cache.invalidate("search")  # …a write commits and invalidates…
        await cache.store(slow_readers_key, b"stale", 60)  # …then the slow reader stores what it read.
        value, _ = await cache.lookup("search:q", ["search"])
        assert value is None

    asyncio.run(scenario())


def test_values_expire(clients: tuple[redis.Redis, redis.asyncio.Redis]) -> None:
    cache = RedisResponseCache(*clients)

    async def scenario() -> None:
        _, key = await cache.lookup("k", ["s"])
        await cache.store(key, b"v", 1)
        assert clients[0].ttl(key) == 1

    asyncio.run(scenario())


def test_concurrent_hits_never_exceed_the_limit(clients: tuple[redis.Redis, redis.asyncio.Redis]) -> None:
    limiter = RedisRateLimiter(*clients)
    with ThreadPoolExecutor(max_workers=16) as pool:
        verdicts = list(pool.map(lambda _: limiter.hit("client", limit=10, window_seconds=60), range(60)))
    assert verdicts.count(None) == 10
    assert all(v is not None and 1 <= v <= 60 for v in verdicts if v is not None)


def test_the_async_and_sync_paths_share_one_counter(clients: tuple[redis.Redis, redis.asyncio.Redis]) -> None:
    limiter = RedisRateLimiter(*clients)
    assert limiter.hit("c", limit=2, window_seconds=60) is None
    assert asyncio.run(limiter.ahit_batched("c", limit=2, window_seconds=60)) is None
    assert limiter.hit("c", limit=2, window_seconds=60) is not None


def test_batched_counting_stops_a_client_at_the_limit_across_workers(
    clients: tuple[redis.Redis, redis.asyncio.Redis],
) -> None:
    workers = [RedisRateLimiter(*clients), RedisRateLimiter(*clients)]  # two server processes

    async def scenario() -> list[int | None]:
        return [await workers[i % 2].ahit_batched("c", limit=500, window_seconds=60) for i in range(700)]

    verdicts = asyncio.run(scenario())
    allowed = verdicts.count(None)
    # Exact near the limit: at most a batch (500 // 50) per worker past it, and nothing allowed after.
    assert 500 <= allowed <= 500 + 2 * 10
    assert all(v is not None for v in verdicts[allowed + 2 * 10 :])
    assert int(clients[0].get(next(iter(clients[0].scan_iter("ratelimit:c:*"))))) >= allowed
