"""Repositories over one session, one module a capability. Rows go in and dataclasses of the core come out,
never ORM objects."""

from adapters.persistence.repositories.accounts import SqlAlchemyRefreshTokenRepository, SqlAlchemyUserRepository
from adapters.persistence.repositories.bookings import SqlAlchemyBookingRepository
from adapters.persistence.repositories.listings import SqlAlchemyPropertyRepository
from adapters.persistence.repositories.outbox import SqlAlchemyOutboxRepository
from adapters.persistence.repositories.payments import (
    SqlAlchemyPaymentRepository,
    SqlAlchemyProcessedWebhookEventRepository,
)
from adapters.persistence.repositories.reviews import SqlAlchemyReviewRepository

__all__ = [
    "SqlAlchemyBookingRepository",
    "SqlAlchemyOutboxRepository",
    "SqlAlchemyPaymentRepository",
    "SqlAlchemyProcessedWebhookEventRepository",
    "SqlAlchemyPropertyRepository",
    "SqlAlchemyRefreshTokenRepository",
    "SqlAlchemyReviewRepository",
    "SqlAlchemyUserRepository",
]
