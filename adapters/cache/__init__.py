"""Redis-backed shared state: rate-limit counters (and, later, the response cache)."""

from adapters.cache.rate_limit import RedisRateLimiter

__all__ = ["RedisRateLimiter"]
