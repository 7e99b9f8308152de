"""Series that no request handler counts: the database pool's use and the job queue's backlog.

With several server workers Prometheus' multiprocess mode is on (``PROMETHEUS_MULTIPROC_DIR``, set by
``airbnb serve``): each worker writes its series to files there and a scrape, answered by any one of
them, adds up every worker's files. Values read at scrape time (the queue) are the same from every
worker, so they are collected then rather than stored.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import redis
import sqlalchemy as sa
from prometheus_client import Gauge
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from rq import Queue
from rq.registry import FailedJobRegistry

from adapters.jobs import QUEUE_NAME

logger = logging.getLogger(__name__)

# "livesum": the connections the living workers hold between them.
DB_POOL_CHECKED_OUT = Gauge(
    "airbnb_db_pool_checked_out_connections",
    "Database connections checked out of the pool, summed over the server's workers",
    multiprocess_mode="livesum",
)


def instrument_pool(engine: sa.Engine) -> None:
    """Follow ``engine``'s checkouts and returns, so the gauge is right whichever worker is scraped."""

    def checked_out(*_: Any) -> None:
        DB_POOL_CHECKED_OUT.inc()

    def checked_in(*_: Any) -> None:
        DB_POOL_CHECKED_OUT.dec()

    sa.event.listen(engine, "checkout", checked_out)
    sa.event.listen(engine, "checkin", checked_in)


class JobQueueCollector(Collector):
    """The RQ queue's waiting and failed jobs, read from Redis when Prometheus scrapes."""

    def __init__(self, client: redis.Redis) -> None:
        self._client = client

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            queued = Queue(QUEUE_NAME, connection=self._client).count
            failed = FailedJobRegistry(QUEUE_NAME, connection=self._client).count
        except redis.RedisError as exc:  # a scrape without these series beats a failed scrape
            logger.warning("job queue metrics unavailable: %s", exc)
            return
        yield GaugeMetricFamily("airbnb_jobs_queued", "Jobs waiting in the queue", value=queued)
        yield GaugeMetricFamily("airbnb_jobs_failed", "Jobs in the failed-job registry", value=failed)


__all__ = ["DB_POOL_CHECKED_OUT", "JobQueueCollector", "instrument_pool"]
