"""Redis-backed shared state: rate-limit counters and the response cache."""

from adapters.cache.rate_limit import RedisRateLimiter
from adapters.cache.response_cache import RedisResponseCache

__all__ = ["RedisRateLimiter", "RedisResponseCache"]
