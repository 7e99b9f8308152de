"""The worker's schedule and its failed jobs, on a real Redis: one run of each periodic job per time slot
however many workers keep the schedule, and failed jobs the operator can list and requeue."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import redis
from rq import Queue
from rq.job import Job
from rq.registry import FailedJobRegistry

from adapters.jobs import QUEUE_NAME
from entrypoints.worker import Schedule

ROOT = Path(__file__).parents[2]


def test_two_workers_keeping_the_schedule_enqueue_each_slot_once(redis_url: str) -> None:
    connection = redis.Redis.from_url(redis_url)
    queue = Queue(QUEUE_NAME, connection=connection)
    every = {"expire_lapsed_bookings": 60, "relay_outbox": 10}
    first, second = Schedule(connection, queue, every), Schedule(connection, queue, every)
    at = 1_800_000_000.0  # the start of a slot of both intervals
    assert sorted(first.tick(at)) == ["expire_lapsed_bookings", "relay_outbox"]
    assert second.tick(at) == []  # the other worker, in the same slots
    assert first.tick(at + 5) == [] and second.tick(at + 9.9) == []
    assert second.tick(at + 10) == ["relay_outbox"]  # the next slot of the shorter interval only
    assert first.tick(at + 10) == []
    assert sorted(queue.job_ids) == [
        "periodic-expire_lapsed_bookings-30000000",
        "periodic-relay_outbox-180000000",
        "periodic-relay_outbox-180000001",
    ]


def airbnb(redis_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AIRBNB_REDIS_URL": redis_url, "AIRBNB_ENV": "test", "AIRBNB_DATABASE_URL": "sqlite://"}
    command = [sys.executable, "-m", "entrypoints.cli", *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)


def a_failed_send(connection: redis.Redis) -> Job:
    """A send whose every retry failed, as RQ leaves it: in the failed registry, with its error."""
    queue = Queue(QUEUE_NAME, connection=connection)
    job = queue.enqueue_call("entrypoints.jobs.send_notification", args=("{}",), job_id="notify-x-guest")
    with connection.pipeline() as pipeline:
        job.set_status("failed", pipeline=pipeline)
        queue.remove(job, pipeline=pipeline)
        FailedJobRegistry(QUEUE_NAME, connection=connection).add(
            job, ttl=3600, exc_string="SMTPServerDisconnected: Connection unexpectedly closed", pipeline=pipeline
        )
        pipeline.execute()
    return job


def test_the_operator_lists_the_failed_jobs_and_requeues_them(redis_url: str) -> None:
    connection = redis.Redis.from_url(redis_url)
    none = airbnb(redis_url, "jobs", "failed")
    assert none.returncode == 0 and none.stdout == "" and "0 failed job(s)" in none.stderr
    a_failed_send(connection)
    listed = airbnb(redis_url, "jobs", "failed")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.startswith("notify-x-guest\t") and "send_notification" in listed.stdout
    retried = airbnb(redis_url, "jobs", "retry")
    assert retried.returncode == 0, retried.stderr
    assert FailedJobRegistry(QUEUE_NAME, connection=connection).get_job_ids() == []
    assert Queue(QUEUE_NAME, connection=connection).job_ids == ["notify-x-guest"]
