"""The RQ job functions: thin, by id or JSON, each calling a use case on this worker process's container.

The queue names them by path (``adapters.jobs.rq_queue``); the worker builds the container once, before
its first job, so each job only looks the use cases up.
"""

from __future__ import annotations

import functools
import json

import bootstrap
from airbnb_core.services import Services


@functools.cache
def services() -> Services:
    # A forked work horse inherits this once the worker has built it (entrypoints.worker), so the engine
    # and clients are made once per worker process rather than once per job.
    return bootstrap.build_container(bootstrap.Settings.from_env()).services()


def relay_outbox(args: str = "{}") -> int:
    return services().notifications.relay()


def send_notification(args: str) -> None:
    services().notifications.run_job("send_notification", json.loads(args))


def expire_lapsed_bookings() -> int:
    return services().bookings.expire_lapsed()
