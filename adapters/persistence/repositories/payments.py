"""Payments, and the provider events already applied to them."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from adapters.persistence.models import (
    BookingRow,
    PaymentRow,
    ProcessedWebhookEventRow,
)
from adapters.persistence.repositories._common import (
    _Repository,
    _to_entity,
    _to_row,
)
from airbnb_core.domain.bookings import ACTIVE_STATUSES
from airbnb_core.domain.payments import CAPTURED_STATUSES, Payment, PaymentStatus


def _payment(row: PaymentRow) -> Payment:
    return _to_entity(row, Payment, payment_status=PaymentStatus)


class SqlAlchemyPaymentRepository(_Repository):
    def add(self, payment: Payment) -> None:
        self._insert(_to_row(PaymentRow, payment))

    def get_for_booking(self, booking_id: uuid.UUID) -> Payment | None:
        row = self._session.scalar(sa.select(PaymentRow).where(PaymentRow.booking_id == booking_id))
        return _payment(row) if row else None

    def get_many_for_bookings(self, booking_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Payment]:
        if not booking_ids:
            return {}
        query = sa.select(PaymentRow).where(PaymentRow.booking_id.in_(set(booking_ids)))
        return {row.booking_id: _payment(row) for row in self._session.scalars(query)}

    def update(self, payment: Payment) -> None:
        self._session.merge(_to_row(PaymentRow, payment))

    def held_for_inactive_bookings(self, *, limit: int) -> list[Payment]:
        query = (
            sa.select(PaymentRow)
            .join(BookingRow, BookingRow.id == PaymentRow.booking_id)
            .where(
                PaymentRow.payment_status == PaymentStatus.AUTHORIZED.value,
                BookingRow.status.not_in([status.value for status in ACTIVE_STATUSES]),
            )
            .order_by(PaymentRow.updated_at)
            .limit(limit)
        )
        return [_payment(row) for row in self._session.scalars(query)]

    def get_by_provider_id(self, provider: str, provider_payment_id: str) -> Payment | None:
        row = self._session.scalar(
            sa.select(PaymentRow).where(
                PaymentRow.provider == provider, PaymentRow.provider_payment_id == provider_payment_id
            )
        )
        return _payment(row) if row else None

    def unsettled(self, *, updated_before: datetime, limit: int) -> list[Payment]:
        in_flight = [PaymentStatus.PROCESSING.value, PaymentStatus.AUTHORIZED.value]
        movable = [*in_flight, *(status.value for status in CAPTURED_STATUSES)]
        query = (
            sa.select(PaymentRow)
            .where(PaymentRow.payment_status.in_(movable), PaymentRow.updated_at < updated_before)
            .order_by(PaymentRow.payment_status.not_in(in_flight), PaymentRow.updated_at)
            .limit(limit)
        )
        return [_payment(row) for row in self._session.scalars(query)]


class SqlAlchemyProcessedWebhookEventRepository(_Repository):
    def add(self, provider: str, event_id: str, at: datetime) -> bool:
        # ON CONFLICT DO NOTHING rather than catching the unique violation, which would end the transaction
        # on PostgreSQL; a concurrent insert of the same event makes this one wait for it, then skip.
        dialect = postgresql if self._postgres else sqlite
        inserted = self._session.execute(
            dialect.insert(ProcessedWebhookEventRow)
            .values(provider=provider, event_id=event_id, processed_at=at)
            .on_conflict_do_nothing(index_elements=["provider", "event_id"])
            .returning(ProcessedWebhookEventRow.event_id)
        )
        return inserted.first() is not None
