"""The response cache of a single process, for when no Redis is configured."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Sequence


class InMemoryResponseCache:
    """Versioned scopes over a bounded in-process store.

    A value is stored under its key plus the versions of the scopes it depends on; invalidating a
    scope bumps its version, so a reader that started before a write can never resurrect its
    stale answer under the new versions.
    """

    def __init__(self, max_entries: int = 10_000) -> None:
        self._versions: dict[str, int] = {}
        self._values: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._max_entries = max_entries
        self._lock = threading.Lock()

    def versioned_key(self, key: str, scopes: Sequence[str]) -> str:
        with self._lock:
            return ":".join([key, *(str(self._versions.get(scope, 0)) for scope in scopes)])

    def get(self, versioned_key: str) -> bytes | None:
        with self._lock:
            entry = self._values.get(versioned_key)
            if entry is None or entry[0] <= time.monotonic():
                return None
            self._values.move_to_end(versioned_key)
            return entry[1]

    def set(self, versioned_key: str, value: bytes, ttl_seconds: int) -> None:
        with self._lock:
            self._values[versioned_key] = (time.monotonic() + ttl_seconds, value)
            self._values.move_to_end(versioned_key)
            while len(self._values) > self._max_entries:
                self._values.popitem(last=False)

    def invalidate(self, *scopes: str) -> None:
        with self._lock:
            for scope in scopes:
                self._versions[scope] = self._versions.get(scope, 0) + 1

    # The web edge's asynchronous face of the same store; nothing here blocks.
    async def lookup(self, key: str, scopes: Sequence[str]) -> tuple[bytes | None, str]:
        versioned_key = self.versioned_key(key, scopes)
        return self.get(versioned_key), versioned_key

    async def store(self, versioned_key: str, value: bytes, ttl_seconds: int) -> None:
        self.set(versioned_key, value, ttl_seconds)
