from __future__ import annotations

from typing import Protocol


class RateLimiter(Protocol):
    def hit(self, key: str, *, limit: int, window_seconds: int) -> int | None:
        """Count one attempt under ``key``: None while within ``limit`` per window, else seconds to wait."""
