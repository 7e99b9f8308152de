"""Reviews, and the rating they give a property."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from adapters.persistence.models import (
    ReviewRow,
)
from adapters.persistence.repositories._common import (
    _after,
    _Repository,
    _to_entity,
    _to_row,
)
from airbnb_core.domain.reviews import Review


def _review(row: ReviewRow | sa.Row[Any]) -> Review:
    return _to_entity(row, Review)


class SqlAlchemyReviewRepository(_Repository):
    def add(self, review: Review) -> None:
        self._insert(_to_row(ReviewRow, review))

    def get_for_booking(self, booking_id: uuid.UUID) -> Review | None:
        row = self._session.scalar(sa.select(ReviewRow).where(ReviewRow.booking_id == booking_id))
        return _review(row) if row else None

    def get_many_for_bookings(self, booking_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Review]:
        if not booking_ids:
            return {}
        query = sa.select(ReviewRow).where(ReviewRow.booking_id.in_(set(booking_ids)))
        return {row.booking_id: _review(row) for row in self._session.scalars(query)}

    def reviewed(self, booking_ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
        if not booking_ids:
            return set()
        query = sa.select(ReviewRow.booking_id).where(ReviewRow.booking_id.in_(set(booking_ids)))
        return set(self._session.scalars(query))

    def list_for_property(
        self, property_id: uuid.UUID, *, limit: int, after: tuple[datetime, uuid.UUID] | None
    ) -> list[Review]:
        columns = (ReviewRow.created_at, ReviewRow.id)
        query = (
            sa.select(ReviewRow)
            .where(ReviewRow.property_id == property_id)
            .order_by(*(column.desc() for column in columns))
            .limit(limit)
        )
        if after is not None:
            query = query.where(_after(columns, after, rising=False))
        return [_review(row) for row in self._session.scalars(query)]

    def recent_for_properties(self, property_ids: Collection[uuid.UUID], limit: int) -> dict[uuid.UUID, list[Review]]:
        if not property_ids:
            return {}
        reviews = ReviewRow.__table__.c
        rank = sa.func.row_number().over(
            partition_by=reviews.property_id, order_by=(reviews.created_at.desc(), reviews.id.desc())
        )
        ranked = sa.select(*reviews, rank.label("rank")).where(reviews.property_id.in_(set(property_ids))).subquery()
        query = (
            sa.select(*(ranked.c[column.name] for column in reviews))
            .where(ranked.c.rank <= limit)
            .order_by(ranked.c.property_id, ranked.c.rank)
        )
        recent: dict[uuid.UUID, list[Review]] = {}
        for row in self._session.execute(query):
            recent.setdefault(row.property_id, []).append(_review(row))
        return recent
