"""Idempotency records in the database, each change in a short transaction of its own."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from adapters.persistence.models import IdempotencyRecordRow
from adapters.persistence.unit_of_work import constraint_name, is_connection_failure
from airbnb_core.domain.errors import ServiceUnavailable
from airbnb_core.ports.clock import Clock
from airbnb_core.ports.idempotency import IDEMPOTENCY_KEY_LIFETIME, IdempotencyRecord, StoredResponse

Record = IdempotencyRecordRow
_ONE_RECORD_PER_KEY = "uq_idempotency_records_user_id_key"


@contextmanager
def _reachable() -> Iterator[None]:
    try:
        yield
    except SQLAlchemyError as error:
        if is_connection_failure(error):
            raise ServiceUnavailable("the database cannot be reached; try again shortly") from error
        raise


class SqlAlchemyIdempotencyStore:
    """Works on its own connections, never inside a use case's unit of work: a reservation must be
    committed, and visible to duplicates, before the use case starts."""

    def __init__(self, engine: sa.Engine, clock: Clock, lifetime: timedelta = IDEMPOTENCY_KEY_LIFETIME) -> None:
        self._engine = engine
        self._clock = clock
        self._lifetime = lifetime

    def _expired_before(self) -> datetime:
        return self._clock.now() - self._lifetime

    def reserve(self, user_id: uuid.UUID, key: str, fingerprint: str) -> uuid.UUID | None:
        reservation = uuid.uuid4()
        try:
            with _reachable(), self._engine.begin() as connection:
                # Expired records count as absent, so they must go before their key can be taken again;
                # the user's other expired keys go along, which keeps the table to a day of requests
                # (the unique index on (user_id, key) finds them, in one order for every caller).
                connection.execute(
                    sa.delete(Record).where(Record.user_id == user_id, Record.created_at < self._expired_before())
                )
                connection.execute(
                    sa.insert(Record).values(
                        id=reservation,
                        user_id=user_id,
                        key=key,
                        request_fingerprint=fingerprint,
                        created_at=self._clock.now(),
                    )
                )
        except IntegrityError as error:
            if constraint_name(error) == _ONE_RECORD_PER_KEY:
                return None  # another request holds the key
            raise
        return reservation

    def find(self, user_id: uuid.UUID, key: str) -> IdempotencyRecord | None:
        query = sa.select(
            Record.request_fingerprint,
            Record.response_status,
            Record.response_body,
            Record.response_content_type,
        ).where(Record.user_id == user_id, Record.key == key, Record.created_at >= self._expired_before())
        with _reachable(), self._engine.connect() as connection:
            row = connection.execute(query).one_or_none()
        if row is None:
            return None
        fingerprint, status, body, content_type = row
        response = None if status is None else StoredResponse(status, body or b"", content_type or "application/json")
        return IdempotencyRecord(fingerprint=fingerprint, response=response)

    def complete(self, reservation: uuid.UUID, response: StoredResponse) -> None:
        with _reachable(), self._engine.begin() as connection:
            connection.execute(
                sa.update(Record)
                .where(Record.id == reservation)
                .values(
                    response_status=response.status,
                    response_body=response.body,
                    response_content_type=response.content_type,
                )
            )

    def release(self, reservation: uuid.UUID) -> None:
        with _reachable(), self._engine.begin() as connection:
            connection.execute(sa.delete(Record).where(Record.id == reservation, Record.response_status.is_(None)))
