"""Redis failing: the rate limits count in process, the cache is bypassed, and nothing raises."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import redis
import redis.asyncio

from adapters.cache import (
    RedisCircuitBreaker,
    RedisRateLimiter,
    RedisResponseCache,
    make_async_redis_client,
    make_redis_client,
)
from airbnb_core.inmemory import FixedClock, InMemoryRateLimiter
from tests.support.outages import dead_redis_url, slamming_server


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def in_process() -> InMemoryRateLimiter:
    return InMemoryRateLimiter(FixedClock(datetime(2030, 6, 1, tzinfo=UTC)))


def wait_for(condition: object, timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:  # type: ignore[operator]
        time.sleep(0.01)


@pytest.fixture
def dead_clients() -> Iterator[tuple[redis.Redis, redis.asyncio.Redis]]:
    url = dead_redis_url()
    sync, async_ = make_redis_client(url), make_async_redis_client(url)
    yield sync, async_
    sync.close()


def test_with_redis_down_the_limits_are_counted_in_process(
    dead_clients: tuple[redis.Redis, redis.asyncio.Redis],
) -> None:
    limiter = RedisRateLimiter(*dead_clients, fallback=in_process())

    assert [limiter.hit("c", limit=3, window_seconds=60) for _ in range(4)] == [None, None, None, 20]
    assert asyncio.run(limiter.ahit_batched("c", limit=3, window_seconds=60)) == 20
    assert asyncio.run(limiter.ahit_batched("other", limit=3, window_seconds=60)) is None


def test_after_a_failure_redis_is_left_alone_until_the_cooldown_has_passed() -> None:
    ticks = Ticks()
    with slamming_server() as server:
        sync, async_ = make_redis_client(server.url), make_async_redis_client(server.url)
        limiter = RedisRateLimiter(
            sync, async_, fallback=in_process(), breaker=RedisCircuitBreaker(cooldown_seconds=5, monotonic=ticks)
        )
        assert limiter.hit("c", limit=1_000, window_seconds=60) is None
        wait_for(lambda: server.connections >= 2)
        tried = server.connections
        assert tried == 2  # the command, and one retry on a fresh connection; then it gives up

        for _ in range(50):
            assert limiter.hit("c", limit=1_000, window_seconds=60) is None
            assert asyncio.run(limiter.ahit_batched("c", limit=1_000, window_seconds=60)) is None
        time.sleep(0.1)
        assert server.connections == tried

        ticks.now += 5
        limiter.hit("c", limit=1_000, window_seconds=60)
        wait_for(lambda: server.connections > tried)
        assert server.connections > tried
        sync.close()


def test_an_outage_is_logged_once_per_interval_not_per_request(
    dead_clients: tuple[redis.Redis, redis.asyncio.Redis], caplog: pytest.LogCaptureFixture
) -> None:
    ticks = Ticks()
    breaker = RedisCircuitBreaker(cooldown_seconds=5, log_interval_seconds=30, monotonic=ticks)
    limiter = RedisRateLimiter(*dead_clients, fallback=in_process(), breaker=breaker)
    cache = RedisResponseCache(*dead_clients, breaker=breaker)

    with caplog.at_level(logging.WARNING, logger="adapters.cache.breaker"):
        for _ in range(6):  # half a minute of requests, Redis tried again after every cooldown
            for _ in range(20):
                limiter.hit("c", limit=1_000, window_seconds=60)
                asyncio.run(cache.lookup("k", ["s"]))
            ticks.now += 5
        assert len(caplog.records) == 1
        limiter.hit("c", limit=1_000, window_seconds=60)
    assert len(caplog.records) == 2
    assert "Redis is unavailable" in caplog.records[0].getMessage()


def test_with_redis_down_the_cache_misses_stores_nothing_and_invalidation_does_not_fail(
    dead_clients: tuple[redis.Redis, redis.asyncio.Redis],
) -> None:
    cache = RedisResponseCache(*dead_clients)

    async def scenario() -> None:
        assert await cache.lookup("property:1", ["property:1"]) == (None, None)
        await cache.store("cache:property:1:0", b"v", 60)

    asyncio.run(scenario())
    cache.invalidate("property:1")


def test_an_invalidation_redis_missed_is_sent_when_it_answers_again(redis_url: str) -> None:
    ticks = Ticks()
    live = redis.asyncio.Redis.from_url(redis_url)
    dead = make_redis_client(dead_redis_url())  # invalidations go through the sync client
    cache = RedisResponseCache(dead, live, breaker=RedisCircuitBreaker(cooldown_seconds=5, monotonic=ticks))

    async def lookup() -> bytes | None:
        return (await cache.lookup("property:1", ["property:1"]))[0]

    async def scenario() -> None:
        _, key = await cache.lookup("property:1", ["property:1"])
        assert key is not None
        await cache.store(key, b"before the write", 60)
        assert await lookup() == b"before the write"

        cache.invalidate("property:1")  # the write committed; Redis could not be told
        assert await lookup() is None  # bypassed during the cooldown
        ticks.now += 5
        assert await lookup() is None  # told now: the answer from before the write is unreachable
        assert (await cache.lookup("property:1", ["property:1"]))[1] == "cache:property:1:1"

    asyncio.run(scenario())
    dead.close()
