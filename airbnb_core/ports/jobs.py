from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from airbnb_core.domain.events import JsonValue


class JobQueue(Protocol):
    def enqueue(self, name: str, args: Mapping[str, JsonValue], *, job_id: str) -> None:
        """Run the job ``name`` with ``args`` soon, elsewhere or inline.

        Idempotent by ``job_id``: while a job with that id is queued, running or recently finished,
        enqueueing it again does nothing.
        """


class NoJobs:
    """Runs nothing: the outbox keeps the messages for whoever relays it (tests of other use cases)."""

    def enqueue(self, name: str, args: Mapping[str, JsonValue], *, job_id: str) -> None:
        pass


NO_JOBS = NoJobs()
