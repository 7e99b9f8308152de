"""Telling guests and hosts what happened to their bookings: relay the outbox, then deliver each message once.

The relay is at least once (a crash before its commit relays the same messages again); jobs keyed by
outbox message and recipient, and a delivery log consulted before each send, make the delivery once.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping

from airbnb_core.domain.events import JsonValue, OutboxMessage
from airbnb_core.domain.notifications import NOTIFIED_TOPICS, Notification, Recipient, compose
from airbnb_core.ports.clock import Clock
from airbnb_core.ports.jobs import JobQueue
from airbnb_core.ports.notifications import DeliveryLog, Notifier
from airbnb_core.ports.unit_of_work import UnitOfWork

logger = logging.getLogger(__name__)

RELAY_JOB = "relay_outbox"
SEND_JOB = "send_notification"
RELAY_JOB_ID = "relay-outbox"


class Notifications:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        clock: Clock,
        jobs: JobQueue,
        notifier: Notifier,
        delivery_log: DeliveryLog,
        *,
        batch_size: int = 100,
    ) -> None:
        self._uow, self._clock, self._jobs = uow, clock, jobs
        self._notifier, self._delivery_log = notifier, delivery_log
        self._batch_size = batch_size

    def relay(self) -> int:
        """Turn every unprocessed outbox message into send jobs, batch by batch; the number relayed."""
        relayed = 0
        while batch := self.relay_batch():
            relayed += batch
        return relayed

    def relay_batch(self) -> int:
        """Enqueue the sends of one batch and mark it processed in one transaction."""
        with self._uow() as uow:
            messages = uow.outbox.claim_unprocessed(self._batch_size)
            for message in messages:
                for recipient, notification in self._compose(uow, message).items():
                    self._jobs.enqueue(SEND_JOB, notification.to_json(), job_id=f"notify-{message.id}-{recipient}")
            uow.outbox.mark_processed([m.id for m in messages], self._clock.now())
            uow.commit()
        return len(messages)

    def deliver(self, notification: Notification) -> bool:
        """Send ``notification`` unless it was sent before; whether it was sent now."""
        if self._delivery_log.was_sent(notification.message_id):
            return False
        self._notifier.send(notification)
        # Remembered only once sent: a crash in between sends it again, which is better than never.
        self._delivery_log.remember_sent(notification.message_id)
        return True

    def run_job(self, name: str, args: Mapping[str, JsonValue]) -> None:
        """Run a job this use case enqueued, by the name it gave it."""
        if name == RELAY_JOB:
            self.relay()
        elif name == SEND_JOB:
            self.deliver(Notification.from_json(dict(args)))
        else:
            raise ValueError(f"no notification job is called {name!r}")

    def _compose(self, uow: UnitOfWork, message: OutboxMessage) -> dict[Recipient, Notification]:
        if message.topic not in NOTIFIED_TOPICS:
            return {}
        ids = {name: uuid.UUID(str(value)) for name, value in message.payload.items() if name.endswith("_id")}
        booking = uow.bookings.get(ids["booking_id"])
        place = uow.properties.get(ids["property_id"])
        people = uow.users.get_many([ids["guest_id"], ids["host_id"]])
        guest, host = people.get(ids["guest_id"]), people.get(ids["host_id"])
        if booking is None or place is None or guest is None or host is None:
            # Nothing in the platform deletes these; a message about what is gone has no one to tell.
            logger.warning("outbox message %s (%s) names a record that is gone", message.id, message.topic)
            return {}
        return compose(message.topic, message.id, booking, place, guest, host)
