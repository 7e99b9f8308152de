"""Cached JSON answers for the hot public reads (property pages and searches).

The core invalidates scopes after every write that changes what these answers show; a value is
stored under the versions its scopes had when the read started, so an answer computed before a
write can never be served after it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import anyio.to_thread
import msgspec
from litestar import Response
from litestar.enums import MediaType
from prometheus_client import Counter

from airbnb_core.services import Services

CACHE_LOOKUPS = Counter(
    "airbnb_cache_lookups_total", "Cached-answer lookups by endpoint and result", ["endpoint", "result"]
)
# Answers that depend on the clock (a hold lapsing frees its dates without any write) live briefly.
CLOCK_DEPENDENT_TTL_SECONDS = 30
TTL_SECONDS = 300

S = TypeVar("S", bound=msgspec.Struct)


class EncodedJson(Response[bytes], Generic[S]):
    """A JSON body already encoded from an ``S``.

    Handlers declare ``EncodedJson[S]``: the OpenAPI document then describes ``S`` (Litestar reads the
    first type argument of a ``Response`` subclass), while the body is bytes a cache can hold as they are.
    """


def encoded_json(value: Any, headers: dict[str, str] | None = None) -> EncodedJson[Any]:
    """``value`` (a Struct, or a read view of the core, which msgspec encodes as it is) as a JSON response."""
    return EncodedJson(msgspec.json.encode(value), media_type=MediaType.JSON, headers=headers)


def in_thread(produce: Callable[[], object]) -> Callable[[], Awaitable[object]]:
    """A blocking producer (a use case on the unit of work) as an awaitable one, run on a worker thread."""
    return lambda: anyio.to_thread.run_sync(produce)


class ResponseCache(Protocol):
    async def lookup(self, key: str, scopes: Sequence[str]) -> tuple[bytes | None, str | None]:
        """The value cached for ``key`` under the scopes' current versions, and the key to store a fresh one under.

        The key is None while the cache is unavailable: the answer is then computed and not stored.
        """

    async def store(self, versioned_key: str, value: bytes, ttl_seconds: int) -> None: ...


@dataclass(frozen=True, slots=True)
class CachedReads:
    """What the cached read handlers need, as one dependency.

    Litestar resolves several dependencies of one handler concurrently in an anyio task group; on a
    cache hit that costs more than the rest of the request, so these handlers take a single one.
    """

    services: Services
    cache: ResponseCache


async def cached_json(
    cache: ResponseCache,
    endpoint: str,
    key: str,
    scopes: Sequence[str],
    produce: Callable[[], Awaitable[object]],
    ttl_seconds: int = TTL_SECONDS,
) -> EncodedJson[Any]:
    """Serve the cached JSON for ``key``, or compute and encode it and cache it."""
    digest = hashlib.sha256(key.encode()).hexdigest()
    body, versioned_key = await cache.lookup(f"{endpoint}:{digest}", scopes)
    if body is not None:
        CACHE_LOOKUPS.labels(endpoint, "hit").inc()
        return EncodedJson(body, media_type=MediaType.JSON, headers={"X-Cache": "hit"})
    result = "miss" if versioned_key is not None else "bypass"
    CACHE_LOOKUPS.labels(endpoint, result).inc()
    answer = encoded_json(await produce(), headers={"X-Cache": result})
    if versioned_key is not None:
        await cache.store(versioned_key, answer.content, ttl_seconds)
    return answer
