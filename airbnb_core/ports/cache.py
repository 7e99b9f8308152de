"""Invalidation of cached answers: the core says what changed, the cache forgets what depended on it."""

from __future__ import annotations

import uuid
from typing import Protocol

# Any public profile (name, hosting, active): answers that show a host or an author depend on it.
PROFILES_SCOPE = "profiles"


def property_scope(property_id: uuid.UUID) -> str:
    return f"property:{property_id}"


class CacheInvalidator(Protocol):
    def invalidate(self, *scopes: str) -> None:
        """Make every cached answer that depends on any of ``scopes`` unreachable, before returning."""


class NoCache:
    """The invalidator of a platform that caches no answers: there is never anything to forget."""

    def invalidate(self, *scopes: str) -> None:
        pass


NO_CACHE = NoCache()
