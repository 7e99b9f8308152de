from __future__ import annotations

from collections.abc import Sequence

import redis
import redis.asyncio

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
    """

    def __init__(self, client: redis.Redis, async_client: redis.asyncio.Redis, prefix: str = "cache:") -> None:
        self._client = client
        self._async_client = async_client
        self._prefix = prefix
        self._lookup = async_client.register_script(_LOOKUP)

    async def lookup(self, key: str, scopes: Sequence[str]) -> tuple[bytes | None, str]:
        versioned, value = await self._lookup(keys=[self._scope(s) for s in scopes], args=[self._prefix + key])
        return value, versioned.decode() if isinstance(versioned, bytes) else versioned

    async def store(self, versioned_key: str, value: bytes, ttl_seconds: int) -> None:
        await self._async_client.set(versioned_key, value, ex=ttl_seconds)

    def invalidate(self, *scopes: str) -> None:
        pipe = self._client.pipeline(transaction=False)
        for scope in scopes:
            pipe.incr(self._scope(scope))
        pipe.execute()

    def _scope(self, scope: str) -> str:
        return f"{self._prefix}v:{scope}"
