from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis
import redis.asyncio

from adapters.cache.breaker import RedisCircuitBreaker
from airbnb_core.ports.rate_limit import RateLimiter

# The generic cell rate algorithm, in one atomic step. KEYS[1] holds when the client's bucket is
# full again (microseconds); ARGV: now, interval between attempts, window, and `served`: attempts
# a worker already let through on its local count, which are counted whatever the verdict.
# string.format keeps the stored time exact: Redis would write a Lua number with 14 digits.
_GCRA = """
local now, interval, window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local full_at = math.max(tonumber(redis.call('GET', KEYS[1]) or '0'), now) + tonumber(ARGV[4]) * interval
local allowed = full_at + interval - now <= window
if allowed then full_at = full_at + interval end
if full_at > now then
  redis.call('SET', KEYS[1], string.format('%d', full_at), 'PX', math.ceil((full_at - now) / 1000))
end
return {allowed and 1 or 0, string.format('%d', full_at)}
"""

_MICROS = 1_000_000


@dataclass
class _LocalCount:
    full_at: int = 0  # the shared bucket's state at the last sync
    pending: int = 0  # attempts this worker let through and has not told Redis yet
    synced: int = 0


class RedisRateLimiter:
    """GCRA rate limits shared by every worker and every server through Redis (see ``RateLimiter``).

    Each attempt is one Lua script, atomic, so concurrent requests can never both take the last
    slot. Servers compare their own clocks against the stored times, so they need NTP, not more.
    While Redis is unreachable the limits are counted by ``fallback`` in this process: a client
    then gets the limit once per process instead of being refused, or failing, everywhere.
    """

    def __init__(
        self,
        client: redis.Redis,
        async_client: redis.asyncio.Redis,
        *,
        fallback: RateLimiter,
        breaker: RedisCircuitBreaker | None = None,
        now: Callable[[], float] = time.time,
        prefix: str = "ratelimit:",
    ) -> None:
        self._script = client.register_script(_GCRA)
        self._async_script = async_client.register_script(_GCRA)
        self._fallback = fallback
        self._breaker = breaker or RedisCircuitBreaker()
        self._now = now
        self._prefix = prefix
        self._local: dict[str, _LocalCount] = {}

    def hit(self, key: str, *, limit: int, window_seconds: int) -> int | None:
        if not self._breaker.open:
            now, interval, window = self._timing(limit, window_seconds)
            try:
                allowed, full_at = self._script(keys=[self._prefix + key], args=[now, interval, window, 0])
            except redis.RedisError as error:
                self._breaker.failed(error)
            else:
                self._breaker.succeeded()
                return self._verdict(allowed, int(full_at), now, interval, window)
        return self._fallback.hit(key, limit=limit, window_seconds=window_seconds)

    async def ahit_batched(self, key: str, *, limit: int, window_seconds: int) -> int | None:
        """Like ``hit``, for the event loop; far from the limit a worker counts locally and tells Redis in batches.

        A Redis round trip per request costs a cheap endpoint a third of its throughput. Each worker
        tells Redis at least every second and every ``limit // 50`` attempts, and on every attempt
        once the shared bucket, as last seen plus what it let through since, has fewer than two
        batches left; so the limit is overrun by at most a batch per worker, and never in the last stretch.
        """
        if self._breaker.open:
            return self._fallback.hit(key, limit=limit, window_seconds=window_seconds)
        now, interval, window = self._timing(limit, window_seconds)
        local = self._local.get(key)
        if local is None:
            if len(self._local) > 10_000:  # forget the clients whose bucket is full again and owe nothing
                self._local = {k: v for k, v in self._local.items() if v.full_at > now or v.pending}
            local = self._local[key] = _LocalCount()  # never synced: this attempt asks Redis
        batch = max(1, limit // 50)
        expected_full_at = max(local.full_at, now) + (local.pending + 1) * interval
        far_from_limit = expected_full_at + 2 * batch * interval - now <= window
        if far_from_limit and local.pending + 1 < batch and now - local.synced < _MICROS:
            local.pending += 1
            return None
        served, local.pending, local.synced = local.pending, 0, now
        try:
            allowed, full_at = await self._async_script(keys=[self._prefix + key], args=[now, interval, window, served])
        except redis.RedisError as error:
            self._breaker.failed(error)
            return self._fallback.hit(key, limit=limit, window_seconds=window_seconds)
        self._breaker.succeeded()
        local.full_at = int(full_at)
        return self._verdict(allowed, local.full_at, now, interval, window)

    def _timing(self, limit: int, window_seconds: int) -> tuple[int, int, int]:
        # Whole microseconds: `limit` attempts at one instant fill the window exactly.
        window = window_seconds * _MICROS
        return int(self._now() * _MICROS), max(1, window // limit), window

    @staticmethod
    def _verdict(allowed: int, full_at: int, now: int, interval: int, window: int) -> int | None:
        if allowed:
            return None
        return max(1, math.ceil((full_at + interval - window - now) / _MICROS))
