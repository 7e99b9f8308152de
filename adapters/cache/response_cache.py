from __future__ import annotations

import threading
from collections.abc import Sequence

import redis
import redis.asyncio

from adapters.cache.breaker import RedisCircuitBreaker

# One round trip: read the scopes' versions, build the versioned key, read it.
_LOOKUP = """
local parts = {ARGV[1]}
for i, scope in ipairs(KEYS) do
  parts[#parts + 1] = redis.call('GET', scope) or '0'
end
local versioned = table.concat(parts, ':')
return {versioned, redis.call('GET', versioned)}
"""


class RedisResponseCache:
    """Versioned cache scopes in Redis, shared by every worker and server.

    Invalidation increments a scope's version; values are stored under the versions read before
    they were computed, so a slow reader can never store a pre-write answer where post-write
    readers will look. Old versions simply expire.

    A cache is an optimisation, so Redis failing never fails a request: lookups miss (the answer is
    computed and not stored) and invalidations are kept to be sent once Redis answers again.
    """

    def __init__(
        self,
        client: redis.Redis,
        async_client: redis.asyncio.Redis,
        *,
        breaker: RedisCircuitBreaker | None = None,
        prefix: str = "cache:",
    ) -> None:
        self._client = client
        self._async_client = async_client
        self._breaker = breaker or RedisCircuitBreaker()
        self._prefix = prefix
        self._lookup = async_client.register_script(_LOOKUP)
        # Scopes not yet told to Redis, each with the number of its latest invalidation, so that a
        # send clears only what it covered: an invalidation arriving while a send is on its way stays.
        self._unsent: dict[str, int] = {}
        self._invalidations = 0
        self._unsent_lock = threading.Lock()

    async def lookup(self, key: str, scopes: Sequence[str]) -> tuple[bytes | None, str | None]:
        if self._breaker.open:
            return None, None
        try:
            if self._unsent:
                await self._send_unsent()
            versioned, value = await self._lookup(keys=[self._scope(s) for s in scopes], args=[self._prefix + key])
        except redis.RedisError as error:
            self._breaker.failed(error)
            return None, None
        self._breaker.succeeded()
        return value, versioned.decode() if isinstance(versioned, bytes) else versioned

    async def store(self, versioned_key: str, value: bytes, ttl_seconds: int) -> None:
        if self._breaker.open:
            return
        try:
            await self._async_client.set(versioned_key, value, ex=ttl_seconds)
        except redis.RedisError as error:  # the answer was served; only its reuse is lost
            self._breaker.failed(error)

    def invalidate(self, *scopes: str) -> None:
        """Bump the scopes' versions; if Redis cannot be told, the write that called this still succeeds.

        Failing a committed write because the cache could not be told would be worse: the scopes
        are kept and sent with this process's next Redis call that gets through (a lookup or an
        invalidation). Meanwhile, and if the process ends before then, answers cached before the
        write may still be served by servers that reach Redis, each for at most its TTL (30 s or
        300 s, see adapters/http/caching.py).
        """
        with self._unsent_lock:
            self._invalidations += 1
            self._unsent.update(dict.fromkeys(scopes, self._invalidations))
            pending = dict(self._unsent)
        if self._breaker.open:
            return
        pipe = self._client.pipeline(transaction=False)
        for scope in pending:
            pipe.incr(self._scope(scope))
        try:
            pipe.execute()
        except redis.RedisError as error:
            self._breaker.failed(error)
            return
        self._breaker.succeeded()
        self._sent(pending)

    async def _send_unsent(self) -> None:
        with self._unsent_lock:
            pending = dict(self._unsent)
        async with self._async_client.pipeline(transaction=False) as pipe:
            for scope in pending:
                pipe.incr(self._scope(scope))
            await pipe.execute()
        self._sent(pending)

    def _sent(self, sent: dict[str, int]) -> None:
        with self._unsent_lock:
            for scope, number in sent.items():
                if self._unsent.get(scope) == number:
                    del self._unsent[scope]

    def _scope(self, scope: str) -> str:
        return f"{self._prefix}v:{scope}"
