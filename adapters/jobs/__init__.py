"""Jobs on Redis: the RQ queue the core enqueues through, and the log of delivered notifications."""

from adapters.jobs.delivery_log import RedisDeliveryLog
from adapters.jobs.rq_queue import JOB_FUNCTIONS_MODULE, QUEUE_NAME, SEND_RETRY, RqJobQueue

__all__ = ["JOB_FUNCTIONS_MODULE", "QUEUE_NAME", "SEND_RETRY", "RedisDeliveryLog", "RqJobQueue"]
