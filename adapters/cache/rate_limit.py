from __future__ import annotations

import time

import redis
import redis.asyncio


class RedisRateLimiter:
    """Fixed-window counters shared by every worker and every server through Redis.

    INCR is atomic, so concurrent requests can never both take the last slot of a window.
    """

    def __init__(self, client: redis.Redis, async_client: redis.asyncio.Redis, prefix: str = "ratelimit:") -> None:
        self._client = client
        self._async_client = async_client
        self._prefix = prefix

    def hit(self, key: str, *, limit: int, window_seconds: int) -> int | None:
        now = time.time()
        counter = self._counter_key(key, now, window_seconds)
        pipe = self._client.pipeline(transaction=False)
        pipe.incr(counter)
        pipe.expire(counter, window_seconds, nx=True)
        count = pipe.execute()[0]
        return self._verdict(count, limit, now, window_seconds)

    async def ahit(self, key: str, *, limit: int, window_seconds: int) -> int | None:
        now = time.time()
        counter = self._counter_key(key, now, window_seconds)
        async with self._async_client.pipeline(transaction=False) as pipe:
            pipe.incr(counter)
            pipe.expire(counter, window_seconds, nx=True)
            count = (await pipe.execute())[0]
        return self._verdict(count, limit, now, window_seconds)

    def _counter_key(self, key: str, now: float, window_seconds: int) -> str:
        return f"{self._prefix}{key}:{int(now) // window_seconds}"

    @staticmethod
    def _verdict(count: int, limit: int, now: float, window_seconds: int) -> int | None:
        if count <= limit:
            return None
        return max(1, window_seconds - int(now) % window_seconds)
