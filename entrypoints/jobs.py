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
def container() -> bootstrap.Container:
    # A forked work horse inherits this once the worker has built it (entrypoints.worker), so the engine
    # and clients are made once per worker process rather than once per job.
    return bootstrap.build_container(bootstrap.Settings.from_env())


def services() -> Services:
    return container().services()


def relay_outbox(args: str = "{}") -> int:
    return services().notifications.relay()


def send_notification(args: str) -> None:
    services().notifications.run_job("send_notification", json.loads(args))


def expire_lapsed_bookings() -> int:
    return services().bookings.expire_lapsed()


def reconcile_payments() -> int:
    """Repair payments whose provider and records disagree (a crash between the two, a lost webhook)."""
    return services().payments.reconcile()


def deliver_sandbox_webhooks() -> int:
    """Post the sandbox provider's events to ``AIRBNB_SANDBOX_WEBHOOK_URL`` (nothing without one)."""
    return bootstrap.deliver_sandbox_webhooks(container())
