from __future__ import annotations

import time
from dataclasses import dataclass

import redis
import redis.asyncio


@dataclass
class _LocalCount:
    known: int = 0  # the shared count at the last sync
    pending: int = 0  # hits this worker has not told Redis yet
    synced: float = 0.0


class RedisRateLimiter:
    """Fixed-window counters shared by every worker and every server through Redis.

    INCR is atomic, so concurrent requests can never both take the last slot of a window.
    """

    def __init__(self, client: redis.Redis, async_client: redis.asyncio.Redis, prefix: str = "ratelimit:") -> None:
        self._client = client
        self._async_client = async_client
        self._prefix = prefix
        self._local: dict[str, _LocalCount] = {}

    def hit(self, key: str, *, limit: int, window_seconds: int) -> int | None:
        now = time.time()
        counter = self._counter_key(key, now, window_seconds)
        pipe = self._client.pipeline(transaction=False)
        pipe.incr(counter)
        pipe.expire(counter, window_seconds, nx=True)
        count = pipe.execute()[0]
        return self._verdict(count, limit, now, window_seconds)

    async def ahit_batched(self, key: str, *, limit: int, window_seconds: int) -> int | None:
        """Like ``hit``, for the event loop; far from the limit a worker counts locally and tells Redis in batches.

        A Redis round trip per request costs a cheap endpoint a third of its throughput. Each worker
        flushes its count at least every second and every ``limit // 50`` requests, and counts in
        Redis on every request once the client nears the limit, so the limit is overrun by at most
        a batch per worker and never in the last stretch.
        """
        now = time.time()
        counter = self._counter_key(key, now, window_seconds)
        local = self._local.get(counter)
        if local is None:
            if len(self._local) > 10_000:  # forget the windows that have closed
                window = int(now) // window_seconds
                self._local = {k: v for k, v in self._local.items() if k.endswith(f":{window}")}
            local = self._local[counter] = _LocalCount()
        local.pending += 1
        batch = max(1, limit // 50)
        if local.known + local.pending < limit - 2 * batch and local.pending < batch and now - local.synced < 1:
            return None
        delta, local.pending, local.synced = local.pending, 0, now
        async with self._async_client.pipeline(transaction=False) as pipe:
            pipe.incrby(counter, delta)
            pipe.expire(counter, window_seconds, nx=True)
            local.known = (await pipe.execute())[0]
        return self._verdict(local.known, limit, now, window_seconds)

    def _counter_key(self, key: str, now: float, window_seconds: int) -> str:
        return f"{self._prefix}{key}:{int(now) // window_seconds}"

    @staticmethod
    def _verdict(count: int, limit: int, now: float, window_seconds: int) -> int | None:
        if count <= limit:
            return None
        return max(1, window_seconds - int(now) % window_seconds)
