from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping

import redis
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError

from airbnb_core.domain.events import JsonValue

QUEUE_NAME = "airbnb"
# The job functions live above the composition root (they build the container); the queue names them by
# path, so this adapter does not import them.
JOB_FUNCTIONS_MODULE = "entrypoints.jobs"
# A first retry at once: a job whose worker died (rq requeues it as a retry) or a blip goes again without
# waiting for the scheduler; then backoff, for a mail server that is down for longer.
SEND_RETRY = Retry(max=6, interval=[0, 10, 60, 300, 900, 3600])
JOB_TIMEOUT_SECONDS = 120


class RqJobQueue:
    """Enqueues on one RQ queue; a job id that is queued, running or recently finished is not enqueued again."""

    def __init__(self, client: redis.Redis) -> None:
        self._queue = Queue(QUEUE_NAME, connection=client)

    def enqueue(self, name: str, args: Mapping[str, JsonValue], *, job_id: str) -> None:
        with contextlib.suppress(DuplicateJobError):
            self._queue.enqueue_call(
                f"{JOB_FUNCTIONS_MODULE}.{name}",
                kwargs={"args": json.dumps(dict(args))},
                job_id=job_id,
                unique=True,
                retry=SEND_RETRY,
                timeout=JOB_TIMEOUT_SECONDS,
                # A finished job's id blocks a second enqueue while its result lives: long enough to cover a
                # relay that crashed before its commit and runs again, short for the one relay job.
                result_ttl=0 if job_id.startswith("relay") else 3600,
                description=f"{name} {job_id}",
            )
