"""The Redis-backed response cache against a real Redis."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import redis
import redis.asyncio

from adapters.cache import InMemoryResponseCache, RedisResponseCache


@pytest.fixture
def clients(redis_url: str) -> Iterator[tuple[redis.Redis, redis.asyncio.Redis]]:
    sync, async_ = redis.Redis.from_url(redis_url), redis.asyncio.Redis.from_url(redis_url)
    yield sync, async_
    sync.close()


@pytest.fixture(params=["redis", "in-process"])
def cache(request: pytest.FixtureRequest) -> RedisResponseCache | InMemoryResponseCache:
    if request.param == "in-process":
        return InMemoryResponseCache()
    sync, async_ = request.getfixturevalue("clients")
    return RedisResponseCache(sync, async_)


def test_a_stored_answer_is_served_until_one_of_its_scopes_is_invalidated(
    cache: RedisResponseCache | InMemoryResponseCache,
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
    cache: RedisResponseCache | InMemoryResponseCache,
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
