"""The unit of work: one transaction around one use case."""

from __future__ import annotations

import abc
from types import TracebackType
from typing import Self

from airbnb_core.ports.repositories import (
    BookingRepository,
    PaymentRepository,
    PropertyRepository,
    RefreshTokenRepository,
    ReviewRepository,
    UserRepository,
)


class UnitOfWork(abc.ABC):
    """Rolls back on exit unless ``commit()`` was called; a use case opens one per action."""

    users: UserRepository
    refresh_tokens: RefreshTokenRepository
    properties: PropertyRepository
    bookings: BookingRepository
    payments: PaymentRepository
    reviews: ReviewRepository

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()

    @abc.abstractmethod
    def commit(self) -> None:
        """Make the staged changes durable, raising a ``Conflict`` if a uniqueness rule is broken."""

    @abc.abstractmethod
    def rollback(self) -> None:
        """Discard whatever was not committed; harmless after a commit."""
