"""Repositories: collections of aggregates, as the use cases need them."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import date, datetime
from typing import Protocol

from airbnb_core.domain.bookings import Booking, BookingRole, BookingStatus
from airbnb_core.domain.events import OutboxMessage
from airbnb_core.domain.payments import Payment
from airbnb_core.domain.properties import Property
from airbnb_core.domain.reviews import Review
from airbnb_core.domain.search import SearchCriteria, SortValue
from airbnb_core.domain.stay import Stay
from airbnb_core.domain.users import RefreshToken, User


class UserRepository(Protocol):
    def add(self, user: User) -> None:
        """Stage a new user; the unit of work raises ``EmailTaken`` at commit if the email exists."""

    def get(self, user_id: uuid.UUID) -> User | None: ...

    def get_by_email(self, email: str) -> User | None:
        """Look up by an already normalized email (``normalize_email``)."""

    def get_many(self, user_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, User]:
        """The users that exist among ``user_ids``, in one round trip."""

    def update(self, user: User) -> None:
        """Store the user's fields, except ``session_version``: only ``bump_session_version`` moves it."""

    def bump_session_version(self, user_id: uuid.UUID) -> int:
        """Add one to the user's session version in one atomic step and return the new value.

        Two concurrent bumps both count, and a concurrent ``update`` cannot undo one.
        """

    def list(self, *, limit: int, after: tuple[datetime, uuid.UUID] | None) -> list[User]:
        """Users ordered by ``(created_at, id)``, starting after the given key."""


class RefreshTokenRepository(Protocol):
    def add(self, token: RefreshToken) -> None: ...

    def get_by_hash(self, token_hash: str) -> RefreshToken | None: ...

    def mark_used(self, token_id: uuid.UUID, at: datetime) -> bool:
        """Atomically mark a token rotated; False if it was already used or revoked.

        Two concurrent refreshes with one token can therefore never both succeed.
        """

    def revoke_family(self, family_id: uuid.UUID, at: datetime) -> None: ...

    def revoke_all_for_user(self, user_id: uuid.UUID, at: datetime) -> None: ...


class PropertyRepository(Protocol):
    def add(self, place: Property) -> None: ...

    def get(self, property_id: uuid.UUID) -> Property | None: ...

    def update(self, place: Property) -> None: ...

    def refresh_rating(self, property_id: uuid.UUID) -> None:
        """Set the property's ``rating_avg`` and ``review_count`` from its reviews, this transaction's
        included; concurrent refreshes of one property queue, so each counts every committed review."""

    def get_many(self, property_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Property]:
        """The properties that exist among ``property_ids``, active or not, in one round trip."""

    def count_active_by_host(self, host_id: uuid.UUID) -> int: ...

    def search(
        self, criteria: SearchCriteria, *, after: tuple[SortValue, uuid.UUID] | None, limit: int, now: datetime
    ) -> list[Property]:
        """Active properties of active hosts matching ``criteria``, in its sort order, after the given position.

        With a stay, properties with a booking that holds overlapping dates at ``now`` are left out.
        """


class BookingRepository(Protocol):
    def add(self, booking: Booking) -> None:
        """Stage a booking; the unit of work raises ``DatesUnavailable`` at commit on an overlap."""

    def get(self, booking_id: uuid.UUID) -> Booking | None: ...

    def get_many(self, booking_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Booking]:
        """By id, those of ``booking_ids`` that exist, in one round trip."""

    def update(self, booking: Booking) -> None: ...

    def lock(self, booking_id: uuid.UUID) -> Booking | None:
        """The booking, locked until the unit of work ends: one decision at a time on one booking."""

    def lock_calendar(self, property_id: uuid.UUID) -> None:
        """Hold the property's calendar until the unit of work ends: bookings of one property are decided one
        at a time, so the check before an insert sees every booking committed before it."""

    def expire_lapsed(
        self, now: datetime, *, property_id: uuid.UUID | None = None, overlapping: Stay | None = None
    ) -> list[Booking]:
        """Store as expired the holds and requests whose time passed before ``now`` (of one property, over
        some nights, when given) and return them."""

    def held_stays(
        self, property_ids: Collection[uuid.UUID], start: date, end: date, now: datetime
    ) -> dict[uuid.UUID, list[Stay]]:
        """Per property, the stays overlapping ``[start, end)`` that hold their dates at ``now``, by check-in."""

    def holds_dates_from(self, property_id: uuid.UUID, day: date, now: datetime) -> bool:
        """Whether a booking holding its dates at ``now`` ends after ``day`` (is current or future)."""

    def list_for(
        self,
        user_id: uuid.UUID,
        role: BookingRole,
        *,
        status: BookingStatus | None,
        now: datetime,
        limit: int,
        after: tuple[datetime, uuid.UUID] | None,
    ) -> list[Booking]:
        """The bookings the user made (guest) or that are on the user's properties (host), newest first by
        ``(created_at, id)``, after the given key; with ``status``, only those whose ``status_at(now)`` it is."""


class PaymentRepository(Protocol):
    def add(self, payment: Payment) -> None: ...

    def get_for_booking(self, booking_id: uuid.UUID) -> Payment | None: ...

    def get_many_for_bookings(self, booking_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Payment]:
        """By booking id, the payments of those of ``booking_ids`` that have one, in one round trip."""

    def update(self, payment: Payment) -> None: ...

    def held_for_inactive_bookings(self, *, limit: int) -> list[Payment]:
        """Authorized payments whose booking is stored as no longer active (expired, declined, cancelled):
        card holds nothing will capture, to release."""

    def get_by_provider_id(self, provider: str, provider_payment_id: str) -> Payment | None:
        """The payment the provider knows by that id (one the provider has answered for)."""

    def unsettled(self, *, updated_before: datetime, limit: int) -> list[Payment]:
        """Payments that may still move at the provider (processing, authorized, captured and not all
        refunded), last changed before ``updated_before``, those in flight (processing, authorized) first
        and each group least recently changed first."""


class ProcessedWebhookEventRepository(Protocol):
    def add(self, provider: str, event_id: str, at: datetime) -> bool:
        """Note the provider's event as applied by this transaction; False when it already is, by another
        transaction committed or still running (it then waits for that one to end)."""


class ReviewRepository(Protocol):
    def add(self, review: Review) -> None:
        """Stage a review; the unit of work raises ``Conflict`` at commit if the booking has one."""

    def get_for_booking(self, booking_id: uuid.UUID) -> Review | None: ...

    def get_many_for_bookings(self, booking_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Review]:
        """By booking id, the reviews of those of ``booking_ids`` that have one, in one round trip."""

    def reviewed(self, booking_ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
        """Those of ``booking_ids`` that have a review, in one round trip."""

    def list_for_property(
        self, property_id: uuid.UUID, *, limit: int, after: tuple[datetime, uuid.UUID] | None
    ) -> list[Review]:
        """Newest first, ordered by ``(created_at, id)`` descending, starting after the given key."""

    def recent_for_properties(self, property_ids: Collection[uuid.UUID], limit: int) -> dict[uuid.UUID, list[Review]]:
        """The ``limit`` newest reviews of each property, in one round trip."""


class OutboxRepository(Protocol):
    def claim_unprocessed(self, limit: int) -> list[OutboxMessage]:
        """The oldest unprocessed messages, locked for this transaction; rows another transaction holds are
        skipped, so concurrent relays never take the same message."""

    def mark_processed(self, message_ids: Collection[uuid.UUID], at: datetime) -> None: ...
