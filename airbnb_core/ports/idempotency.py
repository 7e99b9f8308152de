"""Remembering the first answer to a request sent with an idempotency key, so a retry gets it again.

A port of its own, though only the web edge uses it: the web edge and the database adapter must not
know each other, and both need these types.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

# How long a key keeps its answer: a client retries within minutes, and may reuse a key after a day.
IDEMPOTENCY_KEY_LIFETIME = timedelta(hours=24)


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: bytes
    content_type: str


@dataclass(frozen=True)
class IdempotencyRecord:
    fingerprint: str  # of the request that took the key: another request under the same key is refused
    response: StoredResponse | None  # None while that request is still running


class IdempotencyStore(Protocol):
    """Keys are per user; a record older than ``IDEMPOTENCY_KEY_LIFETIME`` counts as absent.

    Each method commits on its own, so that a concurrent duplicate sees the key taken while the
    first request is still running.
    """

    def reserve(self, user_id: uuid.UUID, key: str, fingerprint: str) -> uuid.UUID | None:
        """Take the key for a request about to run: the reservation's id, or None when the key is taken."""

    def find(self, user_id: uuid.UUID, key: str) -> IdempotencyRecord | None:
        """The live record under the key, finished or not."""

    def complete(self, reservation: uuid.UUID, response: StoredResponse) -> None:
        """Keep the answer of the request that made ``reservation``."""

    def release(self, reservation: uuid.UUID) -> None:
        """Give the key up without an answer (the request failed on our side), so a retry runs again."""
