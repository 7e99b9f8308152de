"""The SQLAlchemy unit of work, and the translation of database errors into domain errors."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Self

from sqlalchemy import exc as sa_exc
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from adapters.persistence.models import OutboxRow
from adapters.persistence.repositories import (
    SqlAlchemyBookingRepository,
    SqlAlchemyOutboxRepository,
    SqlAlchemyPaymentRepository,
    SqlAlchemyProcessedWebhookEventRepository,
    SqlAlchemyPropertyRepository,
    SqlAlchemyRefreshTokenRepository,
    SqlAlchemyReviewRepository,
    SqlAlchemyUserRepository,
)
from airbnb_core.domain.errors import Conflict, DatesUnavailable, DomainError, EmailTaken, ServiceUnavailable
from airbnb_core.domain.events import OutboxMessage
from airbnb_core.ports.unit_of_work import UnitOfWork

logger = logging.getLogger(__name__)

_ERRORS: dict[str, Callable[[], DomainError]] = {
    "uq_users_email": lambda: EmailTaken("an account with this email already exists"),
    "bookings_no_overlap": lambda: DatesUnavailable("these dates are no longer available"),
    "uq_reviews_booking_id": lambda: Conflict("this booking already has a review", code="already_reviewed"),
    "uq_payments_booking_id": lambda: Conflict("this booking already has a payment", code="already_paid"),
}


def constraint_name(exc: IntegrityError) -> str | None:
    """The name of the constraint an integrity error broke, on PostgreSQL or SQLite."""
    diag = getattr(exc.orig, "diag", None)
    if diag is not None:
        name: str | None = diag.constraint_name
        return name
    # SQLite names CHECK constraints but reports UNIQUE ones as "table.column, ..."; the naming
    # convention turns the latter back into the constraint name.
    kind, _, detail = str(exc.orig).partition(" constraint failed: ")
    if kind == "CHECK":
        return detail
    if kind == "UNIQUE":
        columns = [c.strip().split(".") for c in detail.split(",")]
        return "_".join(["uq", columns[0][0], *(column for _, column in columns)])
    return None


@contextmanager
def translate_integrity_errors() -> Iterator[None]:
    try:
        yield
    except IntegrityError as exc:
        make = _ERRORS.get(constraint_name(exc) or "")
        raise (make() if make else Conflict("the change conflicts with existing data")) from exc


# The database could not be reached, dropped the connection, or had none free in time: errors
# of the moment, unlike a wrong statement (ProgrammingError) or broken data (IntegrityError).
# OperationalError also covers PostgreSQL shutting down, refusing connections, serialization
# failures and deadlocks, and SQLite's "database is locked": all worth the same retry. (SQLite
# also reports a missing table this way, so an unmigrated development database answers 503.)
_CONNECTION_FAILURES = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,  # no pooled connection came free in time
)
_OUTAGE_LOG_INTERVAL_SECONDS = 30.0
_outage_logged_at = float("-inf")


def is_connection_failure(error: BaseException) -> bool:
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, _CONNECTION_FAILURES)


def _log_outage(error: BaseException) -> None:
    """Once per interval, not once per request: an outage would otherwise flood the log."""
    global _outage_logged_at
    now = time.monotonic()
    if now - _outage_logged_at >= _OUTAGE_LOG_INTERVAL_SECONDS:
        _outage_logged_at = now
        logger.warning("the database is unavailable; answering 503: %s", error)


class TranslatingSession(Session):
    """A session whose flushes, including autoflushes before a query, raise domain errors."""

    def flush(self, objects: Sequence[Any] | None = None) -> None:
        with translate_integrity_errors():
            super().flush(objects)


class SqlAlchemyUnitOfWork(UnitOfWork):
    """One session, hence one database transaction, per use case."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory

    def __enter__(self) -> Self:
        super().__enter__()
        self._session = session = self._session_factory()
        self.users = SqlAlchemyUserRepository(session)
        self.refresh_tokens = SqlAlchemyRefreshTokenRepository(session)
        self.properties = SqlAlchemyPropertyRepository(session)
        self.bookings = SqlAlchemyBookingRepository(session)
        self.payments = SqlAlchemyPaymentRepository(session)
        self.reviews = SqlAlchemyReviewRepository(session)
        self.processed_webhook_events = SqlAlchemyProcessedWebhookEventRepository(session)
        self.outbox = SqlAlchemyOutboxRepository(session)
        return self

    def __exit__(self, exc_type: object, error: BaseException | None, traceback: object) -> None:
        try:
            self.rollback()
        except sa_exc.SQLAlchemyError as failure:
            # Rolling back over a lost connection fails as well; the transaction died with it.
            if not is_connection_failure(failure):
                raise
        finally:
            self._session.close()
        if error is not None and is_connection_failure(error):
            _log_outage(error)
            raise ServiceUnavailable("the database cannot be reached; try again shortly") from error

    def _commit(self, outbox: Sequence[OutboxMessage]) -> None:
        self._session.add_all(
            OutboxRow(id=m.id, topic=m.topic, payload=m.payload, created_at=m.created_at, processed_at=m.processed_at)
            for m in outbox
        )
        with translate_integrity_errors():
            self._session.commit()

    def _rollback(self) -> None:
        self._session.rollback()
