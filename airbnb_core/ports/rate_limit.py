from __future__ import annotations

from typing import Protocol


class RateLimiter(Protocol):
    def hit(self, key: str, *, limit: int, window_seconds: int) -> int | None:
        """Count one attempt under ``key``: None while allowed, else the whole seconds to wait (at least 1).

        A key may spend ``limit`` attempts at once, after which they come back evenly, ``limit`` per
        ``window_seconds``: at most ``limit`` in a burst, and never more than twice ``limit`` in any
        span of ``window_seconds``. Refused attempts are not counted.
        """


class Unlimited:
    """The limiter of a platform that limits no attempts (a script, a test of something else)."""

    def hit(self, key: str, *, limit: int, window_seconds: int) -> int | None:
        return None


UNLIMITED = Unlimited()
