"""The unit of work: one transaction around one use case, and the events that transaction recorded."""

from __future__ import annotations

import abc
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Self

from airbnb_core.domain.events import Event, OutboxMessage
from airbnb_core.ports.clock import Clock
from airbnb_core.ports.repositories import (
    BookingRepository,
    OutboxRepository,
    PaymentRepository,
    ProcessedWebhookEventRepository,
    PropertyRepository,
    RefreshTokenRepository,
    ReviewRepository,
    UserRepository,
)

logger = logging.getLogger(__name__)

# Called with the events of one commit, once it has succeeded.
EventHandler = Callable[[Sequence[Event]], None]


class UnitOfWork(abc.ABC):
    """Rolls back on exit unless ``commit()`` was called; a use case opens one per action.

    The use case ``record``s the events of its change; ``commit`` writes them to the outbox in the same
    transaction as the change and, once that transaction is durable, hands them to the ``handlers``.
    A rolled-back unit of work writes and tells nothing.
    """

    users: UserRepository
    refresh_tokens: RefreshTokenRepository
    properties: PropertyRepository
    bookings: BookingRepository
    payments: PaymentRepository
    reviews: ReviewRepository
    processed_webhook_events: ProcessedWebhookEventRepository
    outbox: OutboxRepository

    # Set by whoever hands out units of work (``airbnb_core.services.build_services``).
    clock: Clock | None = None  # dates the outbox messages; None: the system's clock
    handlers: Sequence[EventHandler] = ()

    _new_events: list[Event]

    def __enter__(self) -> Self:
        self._new_events = []
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()

    def record(self, *events: Event) -> None:
        """Note what this change means; the events go out only if the change is committed."""
        self._new_events.extend(events)

    def collect_new_events(self) -> list[Event]:
        """The events recorded since the last commit or rollback, which are then forgotten."""
        events, self._new_events = self._new_events, []
        return events

    def commit(self) -> None:
        """Make the staged changes and their events durable together, then run the after-commit handlers.

        Raises a ``Conflict`` if a uniqueness rule is broken; nothing is then written or told.
        """
        events = self.collect_new_events()
        now = self.clock.now() if self.clock is not None else datetime.now(UTC)
        self._commit([OutboxMessage.of(event, now) for event in events])
        if events:
            self._after_commit(events)

    def rollback(self) -> None:
        """Discard whatever was not committed, events included; harmless after a commit."""
        self._new_events = []
        self._rollback()

    @abc.abstractmethod
    def _commit(self, outbox: Sequence[OutboxMessage]) -> None:
        """Add ``outbox`` to the outbox and commit it with the staged changes, in one transaction."""

    @abc.abstractmethod
    def _rollback(self) -> None: ...

    def _after_commit(self, events: Sequence[Event]) -> None:
        for handler in self.handlers:
            try:
                handler(events)
            except Exception:
                # The change is durable: failing the use case now would have its caller retry what already
                # happened. The events are in the outbox for whatever must not be lost.
                logger.exception("an after-commit handler failed on %s", [type(e).__name__ for e in events])
