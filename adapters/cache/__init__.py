"""Redis-backed shared state: rate-limit counters and the response cache, both of which outlive a Redis outage."""

from adapters.cache.breaker import RedisCircuitBreaker, make_async_redis_client, make_redis_client
from adapters.cache.rate_limit import RedisRateLimiter
from adapters.cache.response_cache import RedisResponseCache

__all__ = [
    "RedisCircuitBreaker",
    "RedisRateLimiter",
    "RedisResponseCache",
    "make_async_redis_client",
    "make_redis_client",
]
