from __future__ import annotations

import redis

# Longer than any retry schedule (rq_queue.SEND_RETRY) and any re-relay: after that, a message is old news.
REMEMBERED_SECONDS = 30 * 24 * 3600


class RedisDeliveryLog:
    """The notifications sent, as one key each, shared by every worker."""

    def __init__(self, client: redis.Redis, prefix: str = "airbnb:sent:") -> None:
        self._client = client
        self._prefix = prefix

    def was_sent(self, message_id: str) -> bool:
        return bool(self._client.exists(self._prefix + message_id))

    def remember_sent(self, message_id: str) -> None:
        self._client.set(self._prefix + message_id, 1, ex=REMEMBERED_SECONDS)
