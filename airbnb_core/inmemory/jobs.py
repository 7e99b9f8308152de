"""A job queue that runs each job inline, for the embedded defaults and tests."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping

from airbnb_core.domain.events import JsonValue

JobRunner = Callable[[str, Mapping[str, JsonValue]], None]


class InlineJobQueue:
    """Runs each job at once, in the caller's thread: jobs without a worker (no Redis).

    ``bind`` names what runs them, once the use cases that enqueue and run them exist. A job enqueued while
    one with its id runs (a relay whose commit asks for a relay) is left to the running one. A failing job
    raises to the one who enqueued it: a relay then rolls back and its messages wait for the next one.
    """

    def __init__(self) -> None:
        self._runner: JobRunner | None = None
        self._running: set[str] = set()
        self._lock = threading.Lock()

    def bind(self, runner: JobRunner) -> None:
        self._runner = runner

    def enqueue(self, name: str, args: Mapping[str, JsonValue], *, job_id: str) -> None:
        if self._runner is None:
            raise RuntimeError("InlineJobQueue.bind was not called: nothing can run its jobs")
        with self._lock:
            if job_id in self._running:
                return
            self._running.add(job_id)
        try:
            self._runner(name, args)
        finally:
            with self._lock:
                self._running.discard(job_id)
