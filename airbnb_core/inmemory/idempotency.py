"""Idempotency records in this process's memory."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from airbnb_core.inmemory.clock import SystemClock
from airbnb_core.ports.clock import Clock
from airbnb_core.ports.idempotency import IDEMPOTENCY_KEY_LIFETIME, IdempotencyRecord, StoredResponse


@dataclass(frozen=True)
class _Entry:
    reservation: uuid.UUID
    record: IdempotencyRecord
    created_at: datetime


class InMemoryIdempotencyStore:
    def __init__(self, clock: Clock | None = None, lifetime: timedelta = IDEMPOTENCY_KEY_LIFETIME) -> None:
        self._clock = clock or SystemClock()
        self._lifetime = lifetime
        self._entries: dict[tuple[uuid.UUID, str], _Entry] = {}
        self._lock = threading.Lock()

    def _live(self, user_id: uuid.UUID, key: str) -> _Entry | None:
        entry = self._entries.get((user_id, key))
        if entry is None or entry.created_at < self._clock.now() - self._lifetime:
            return None
        return entry

    def reserve(self, user_id: uuid.UUID, key: str, fingerprint: str) -> uuid.UUID | None:
        with self._lock:
            if self._live(user_id, key) is not None:
                return None
            reservation = uuid.uuid4()
            record = IdempotencyRecord(fingerprint=fingerprint, response=None)
            self._entries[user_id, key] = _Entry(reservation, record, self._clock.now())
            return reservation

    def find(self, user_id: uuid.UUID, key: str) -> IdempotencyRecord | None:
        with self._lock:
            entry = self._live(user_id, key)
            return entry.record if entry else None

    def complete(self, reservation: uuid.UUID, response: StoredResponse) -> None:
        with self._lock:
            for slot, entry in self._entries.items():
                if entry.reservation == reservation:
                    self._entries[slot] = replace(entry, record=replace(entry.record, response=response))
                    return

    def release(self, reservation: uuid.UUID) -> None:
        with self._lock:
            self._entries = {
                slot: entry
                for slot, entry in self._entries.items()
                if entry.reservation != reservation or entry.record.response is not None
            }
