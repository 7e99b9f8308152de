"""Attempt limits in this process's memory."""

from __future__ import annotations

import math
import threading

from airbnb_core.inmemory.clock import SystemClock
from airbnb_core.ports.clock import Clock


class InMemoryRateLimiter:
    """The generic cell rate algorithm (a token bucket kept as one number per key), in this process's memory.

    A key's bucket holds ``limit`` attempts and refills one every ``window_seconds / limit``; what is
    stored is the time at which it will be full again. A fixed window would let a client spend its
    whole limit at the end of one window and again at the start of the next.
    """

    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock or SystemClock()
        self._full_at: dict[str, int] = {}  # microseconds since the epoch
        self._lock = threading.Lock()

    def hit(self, key: str, *, limit: int, window_seconds: int) -> int | None:
        # Whole microseconds, so that ``limit`` attempts at one instant fill the window exactly,
        # with no rounding to refuse the last of them.
        now = int(self._clock.now().timestamp() * 1_000_000)
        window = window_seconds * 1_000_000
        interval = max(1, window // limit)
        with self._lock:
            if len(self._full_at) > 100_000:  # forget the clients whose bucket is full again
                self._full_at = {k: t for k, t in self._full_at.items() if t > now}
            full_at = max(self._full_at.get(key, now), now) + interval
            if full_at - now > window:
                # Refused attempts are not counted: the client may retry as soon as one is free.
                return max(1, math.ceil((full_at - window - now) / 1_000_000))
            self._full_at[key] = full_at
        return None
