"""The outbox: events written with their change, taken by the relay."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from adapters.persistence.models import (
    OutboxRow,
)
from airbnb_core.domain.events import OutboxMessage


class SqlAlchemyOutboxRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def claim_unprocessed(self, limit: int) -> list[OutboxMessage]:
        # SKIP LOCKED lets several relays work side by side, each on rows no other has locked; SQLite,
        # which has one writer at a time, ignores the clause.
        rows = self._session.scalars(
            sa.select(OutboxRow)
            .where(OutboxRow.processed_at.is_(None))
            .order_by(OutboxRow.created_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [OutboxMessage(r.id, r.topic, dict(r.payload), r.created_at, r.processed_at) for r in rows]

    def mark_processed(self, message_ids: Collection[uuid.UUID], at: datetime) -> None:
        if message_ids:
            self._session.execute(
                sa.update(OutboxRow).where(OutboxRow.id.in_(list(message_ids))).values(processed_at=at)
            )
