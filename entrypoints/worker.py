"""``airbnb worker``: an RQ worker for the notification jobs and the one schedule of periodic work.

Periodic work is one table (``periodic_jobs``). Every worker keeps the schedule, and each run of a job
is claimed in Redis by its time slot (``SET NX``), so however many workers run, each slot runs once; no
worker holds a lock the others must wait out when it dies.

A worker killed mid-job leaves the job in RQ's started registry until its heartbeat runs out; RQ's
defaults (a heartbeat good for a minute past the monitoring interval, registries cleaned every ten
minutes) would leave that job stalled for minutes. Here the heartbeat comes every two seconds and is good
for a few more, and registries are cleaned every few seconds, so a surviving or restarted worker requeues
the job within seconds (its first retry is immediate: ``adapters.jobs.rq_queue.SEND_RETRY``). The jobs
are idempotent, so running one again is safe.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime

import redis
from rq import Queue, Worker
from rq.job import Job
from rq.registry import FailedJobRegistry

import bootstrap
from adapters.jobs import JOB_FUNCTIONS_MODULE, QUEUE_NAME
from entrypoints import jobs

logger = logging.getLogger(__name__)

# A periodic relay is the safety net for relays the after-commit trigger could not enqueue (Redis was
# briefly down) or that it left to a relay already running.
RELAY_SAFETY_NET_SECONDS = 10
# Reconciliation looks at payments left unsettled for a minute (Payments.reconcile), so once a minute.
RECONCILE_SECONDS = 60
SANDBOX_WEBHOOK_SECONDS = 5
JOB_MONITORING_SECONDS = 2
HEARTBEAT_GRACE_SECONDS = 3
MAINTENANCE_SECONDS = 3
# Also the idle wait for a job (worker_ttl - 15 in RQ), hence how often an idle worker does maintenance.
WORKER_TTL_SECONDS = 18
TICK_SECONDS = 1.0
REDIS_RETRY_SECONDS = 0.5
REDIS_RETRY_MAX_SECONDS = 5.0


def periodic_jobs(settings: bootstrap.Settings) -> dict[str, int]:
    """Each periodic job: the name of its function in ``entrypoints.jobs``, and every how many seconds it runs."""
    return {
        "expire_lapsed_bookings": settings.expiry_sweep_seconds,
        "relay_outbox": RELAY_SAFETY_NET_SECONDS,
        "reconcile_payments": RECONCILE_SECONDS,
        "deliver_sandbox_webhooks": SANDBOX_WEBHOOK_SECONDS,
    }


class Schedule(threading.Thread):
    """Enqueues each periodic job once per slot of its interval, across every worker that keeps it."""

    def __init__(self, connection: redis.Redis, queue: Queue, every: Mapping[str, int]) -> None:
        super().__init__(name="airbnb-schedule", daemon=True)
        self._connection, self._queue, self._every = connection, queue, dict(every)
        self._stopped = threading.Event()

    def run(self) -> None:
        while not self._stopped.wait(TICK_SECONDS):
            try:
                self.tick(time.time())
            except redis.RedisError:  # Redis is back soon or the worker itself stops
                logger.exception("the schedule could not reach Redis")

    def tick(self, now: float) -> list[str]:
        enqueued = []
        for name, seconds in self._every.items():
            slot = int(now // seconds)
            if self._connection.set(f"airbnb:schedule:{name}:{slot}", 1, nx=True, ex=seconds * 2 + 60):
                self._queue.enqueue_call(
                    f"{JOB_FUNCTIONS_MODULE}.{name}",
                    job_id=f"periodic-{name}-{slot}",
                    timeout=max(seconds * 5, 60),
                    result_ttl=seconds * 2,
                    ttl=seconds * 2,  # a run that waited past the next one's slot is not worth starting
                )
                enqueued.append(name)
        return enqueued

    def stop(self) -> None:
        self._stopped.set()


class AirbnbWorker(Worker):
    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        # RQ adds a minute to the monitoring interval: a dead worker's job would wait that long to be retried.
        return int(self.job_monitoring_interval) + HEARTBEAT_GRACE_SECONDS


def connect(settings: bootstrap.Settings) -> redis.Redis:
    if not settings.redis_url:
        raise bootstrap.ConfigurationError("AIRBNB_REDIS_URL is not set: without Redis, jobs run inline in the server")
    # Not the cache's client: its short socket timeout would cut the worker's blocking wait for jobs.
    return redis.Redis.from_url(settings.redis_url)


def run(settings: bootstrap.Settings, *, burst: bool = False) -> None:
    connection = connect(settings)
    jobs.services()  # before the first fork: every work horse inherits the container
    queue = Queue(QUEUE_NAME, connection=connection)
    schedule = Schedule(connection, queue, periodic_jobs(settings))
    schedule.start()
    try:
        # RQ's worker gives up on the first error Redis raises (a restart, a failover). Starting a new one
        # once Redis answers again keeps the worker up through an outage, with no supervisor to restart it.
        while not _work(connection, queue, burst=burst):
            _wait_for(connection)
    finally:
        schedule.stop()


def _work(connection: redis.Redis, queue: Queue, *, burst: bool) -> bool:
    """Run an RQ worker until it stops as asked (a signal, or the end of a burst): True; False if Redis failed."""
    worker = AirbnbWorker(
        [queue],
        connection=connection,
        worker_ttl=WORKER_TTL_SECONDS,
        job_monitoring_interval=JOB_MONITORING_SECONDS,
        maintenance_interval=MAINTENANCE_SECONDS,
    )
    try:
        worker.work(with_scheduler=True, burst=burst, logging_level="INFO")
    except (redis.ConnectionError, redis.TimeoutError):
        logger.warning("lost Redis; the worker starts again once it answers", exc_info=True)
        return False
    return True


def _wait_for(connection: redis.Redis) -> None:
    delay = REDIS_RETRY_SECONDS
    while True:
        time.sleep(delay)
        try:
            connection.ping()
            return
        except (redis.ConnectionError, redis.TimeoutError):
            delay = min(delay * 2, REDIS_RETRY_MAX_SECONDS)


def failed_jobs(settings: bootstrap.Settings) -> list[Job]:
    connection = connect(settings)
    registry = FailedJobRegistry(QUEUE_NAME, connection=connection)
    found = Job.fetch_many(registry.get_job_ids(), connection=connection)
    return [job for job in found if job is not None]


def describe_failure(job: Job) -> str:
    result = job.latest_result()
    error = (result.exc_string or "").strip().splitlines()[-1:] if result is not None else []
    ended = job.ended_at.replace(tzinfo=UTC) if job.ended_at else datetime.now(UTC)
    return f"{job.id}\t{ended.isoformat(timespec='seconds')}\t{job.func_name}\t{error[0] if error else '?'}"


def retry_failed(settings: bootstrap.Settings, job_ids: list[str]) -> int:
    connection = connect(settings)
    registry = FailedJobRegistry(QUEUE_NAME, connection=connection)
    chosen = job_ids or registry.get_job_ids()
    for job_id in chosen:
        registry.requeue(job_id)
    return len(chosen)
