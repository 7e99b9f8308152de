"""Redis clients that give up fast, and a circuit breaker that stops asking a Redis that is down.

Redis holds nothing the platform cannot do without for a while: the response cache can be
bypassed and rate limits counted per process. So when Redis fails, its users fall back, and the
breaker makes the next few seconds skip Redis at once instead of paying a connect attempt on
every request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import redis
import redis.asyncio
import redis.asyncio.retry
import redis.retry
from redis.backoff import NoBackoff

logger = logging.getLogger(__name__)

# A healthy Redis answers in well under a millisecond; past this it counts as down.
CONNECT_TIMEOUT_SECONDS = 0.25
SOCKET_TIMEOUT_SECONDS = 2
# One immediate retry, on a fresh connection, survives a pooled connection that a Redis restart
# closed; redis-py's default (ten retries with backoff) would stall a request for seconds.
RETRIES = 1


def make_redis_client(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url,
        socket_timeout=SOCKET_TIMEOUT_SECONDS,
        socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
        retry=redis.retry.Retry(NoBackoff(), RETRIES),
    )


def make_async_redis_client(url: str) -> redis.asyncio.Redis:
    return redis.asyncio.Redis.from_url(
        url,
        socket_timeout=SOCKET_TIMEOUT_SECONDS,
        socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
        retry=redis.asyncio.retry.Retry(NoBackoff(), RETRIES),
    )


class RedisCircuitBreaker:
    """After a Redis failure, answer "skip Redis" for ``cooldown_seconds``; then let the next call try again.

    One breaker serves every user of one Redis server, so a failure seen by the rate limiter also
    spares the response cache its attempt. The outage is logged at most once per ``log_interval_seconds``.
    """

    def __init__(
        self,
        cooldown_seconds: float = 5.0,
        log_interval_seconds: float = 30.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._cooldown = cooldown_seconds
        self._log_interval = log_interval_seconds
        self._monotonic = monotonic
        self._open_until = float("-inf")
        self._logged_at = float("-inf")
        self._down = False
        self._lock = threading.Lock()

    @property
    def open(self) -> bool:
        """Whether callers should skip Redis now and use their fallback."""
        return self._monotonic() < self._open_until

    def failed(self, error: redis.RedisError) -> None:
        now = self._monotonic()
        with self._lock:
            self._open_until = now + self._cooldown
            self._down = True
            if now - self._logged_at < self._log_interval:
                return
            self._logged_at = now
        logger.warning(
            "Redis is unavailable (%s: %s); bypassing the response cache and counting rate limits per process",
            type(error).__name__,
            error,
        )

    def succeeded(self) -> None:
        if not self._down:  # the common case costs one attribute read
            return
        with self._lock:
            recovered, self._down = self._down, False
        if recovered:
            logger.warning("Redis answers again; shared cache and rate limits resume")
