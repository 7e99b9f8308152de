"""Shared state for the web edge: rate-limit counters and the response cache, in Redis (which they outlive an
outage of) or, without Redis, in this process's memory."""

from adapters.cache.breaker import RedisCircuitBreaker, make_async_redis_client, make_redis_client
from adapters.cache.memory import InMemoryResponseCache
from adapters.cache.rate_limit import RedisRateLimiter
from adapters.cache.response_cache import RedisResponseCache

__all__ = [
    "InMemoryResponseCache",
    "RedisCircuitBreaker",
    "RedisRateLimiter",
    "RedisResponseCache",
    "make_async_redis_client",
    "make_redis_client",
]
