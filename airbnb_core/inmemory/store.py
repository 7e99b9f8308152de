"""The in-memory store: committed tables, their repositories and a serializable unit of work over them."""

from __future__ import annotations

import copy
import re
import threading
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from airbnb_core.domain.bookings import ACTIVE_STATUSES, Booking, BookingRole, BookingStatus
from airbnb_core.domain.errors import Conflict, DatesUnavailable, EmailTaken
from airbnb_core.domain.events import OutboxMessage
from airbnb_core.domain.payments import CAPTURED_STATUSES, Payment, PaymentStatus
from airbnb_core.domain.properties import Property
from airbnb_core.domain.reviews import Review, rating_average
from airbnb_core.domain.search import SearchCriteria, SortValue, ascending, sort_value
from airbnb_core.domain.stay import Stay
from airbnb_core.domain.users import RefreshToken, User
from airbnb_core.ports.unit_of_work import UnitOfWork


@dataclass
class InMemoryStore:
    """The committed state that in-memory units of work read from and write to."""

    users: dict[uuid.UUID, User] = field(default_factory=dict)
    refresh_tokens: dict[uuid.UUID, RefreshToken] = field(default_factory=dict)
    properties: dict[uuid.UUID, Property] = field(default_factory=dict)
    bookings: dict[uuid.UUID, Booking] = field(default_factory=dict)
    payments: dict[uuid.UUID, Payment] = field(default_factory=dict)
    reviews: dict[uuid.UUID, Review] = field(default_factory=dict)
    # (provider, event id) → when it was applied
    processed_webhook_events: dict[tuple[str, str], datetime] = field(default_factory=dict)
    outbox: list[OutboxMessage] = field(default_factory=list)  # oldest first
    lock: threading.RLock = field(default_factory=threading.RLock)


class _Table:
    """Copy-on-write view of one table: entities go in and come out as copies."""

    def __init__(self, rows: dict[uuid.UUID, Any]) -> None:
        self.rows = dict(rows)

    def put(self, entity: Any) -> None:
        self.rows[entity.id] = copy.deepcopy(entity)

    def get(self, entity_id: uuid.UUID) -> Any:
        row = self.rows.get(entity_id)
        return copy.deepcopy(row) if row is not None else None

    def find(self, **where: Any) -> list[Any]:
        return [copy.deepcopy(row) for row in self.rows.values() if all(getattr(row, k) == v for k, v in where.items())]


class InMemoryUserRepository:
    def __init__(self, table: _Table) -> None:
        self._t = table

    def add(self, user: User) -> None:
        self._t.put(user)

    def update(self, user: User) -> None:
        # Like the SQL repository: the version moves only through bump_session_version.
        stored: User | None = self._t.get(user.id)
        self._t.put(replace(user, session_version=stored.session_version) if stored else user)

    def bump_session_version(self, user_id: uuid.UUID) -> int:
        # Atomic because a unit of work holds the whole store until it ends.
        user: User = self._t.get(user_id)
        user.session_version += 1
        self._t.put(user)
        return user.session_version

    def get(self, user_id: uuid.UUID) -> User | None:
        result: User | None = self._t.get(user_id)
        return result

    def get_by_email(self, email: str) -> User | None:
        found: list[User] = self._t.find(email=email)
        return found[0] if found else None

    def get_many(self, user_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, User]:
        return {uid: user for uid in set(user_ids) if (user := self._t.get(uid)) is not None}

    def list(self, *, limit: int, after: tuple[datetime, uuid.UUID] | None) -> list[User]:
        users: list[User] = sorted(self._t.find(), key=lambda u: (u.created_at, u.id))
        if after is not None:
            users = [u for u in users if (u.created_at, u.id) > after]
        return users[:limit]


class InMemoryRefreshTokenRepository:
    def __init__(self, table: _Table) -> None:
        self._t = table

    def add(self, token: RefreshToken) -> None:
        self._t.put(token)

    def get_by_hash(self, token_hash: str) -> RefreshToken | None:
        found: list[RefreshToken] = self._t.find(token_hash=token_hash)
        return found[0] if found else None

    def mark_used(self, token_id: uuid.UUID, at: datetime) -> bool:
        token: RefreshToken | None = self._t.get(token_id)
        if token is None or token.used_at is not None or token.revoked_at is not None:
            return False
        token.used_at = at
        self._t.put(token)
        return True

    def revoke_family(self, family_id: uuid.UUID, at: datetime) -> None:
        self._revoke(self._t.find(family_id=family_id), at)

    def revoke_all_for_user(self, user_id: uuid.UUID, at: datetime) -> None:
        self._revoke(self._t.find(user_id=user_id), at)

    def _revoke(self, tokens: list[RefreshToken], at: datetime) -> None:
        for token in tokens:
            if token.revoked_at is None:
                token.revoked_at = at
                self._t.put(token)


class InMemoryPropertyRepository:
    def __init__(self, table: _Table, tables: dict[str, _Table]) -> None:
        self._t = table
        self._tables = tables

    def add(self, place: Property) -> None:
        self._t.put(place)

    update = add

    def get(self, property_id: uuid.UUID) -> Property | None:
        result: Property | None = self._t.get(property_id)
        return result

    def get_many(self, property_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Property]:
        return {pid: place for pid in set(property_ids) if (place := self._t.get(pid)) is not None}

    def refresh_rating(self, property_id: uuid.UUID) -> None:
        place: Property | None = self._t.get(property_id)
        if place is None:
            return
        ratings = [review.rating for review in self._tables["reviews"].find(property_id=property_id)]
        place.rating_avg, place.review_count = rating_average(sum(ratings), len(ratings)), len(ratings)
        self._t.put(place)

    def count_active_by_host(self, host_id: uuid.UUID) -> int:
        return len(self._t.find(host_id=host_id, is_active=True))

    def search(
        self, criteria: SearchCriteria, *, after: tuple[SortValue, uuid.UUID] | None, limit: int, now: datetime
    ) -> list[Property]:
        users, bookings = self._tables["users"].rows, self._tables["bookings"].rows.values()
        booked = set()
        if criteria.stay is not None:
            booked = {b.property_id for b in bookings if b.blocks_dates(now) and b.stay.overlaps(criteria.stay)}
        found = [
            p
            for p in self._t.rows.values()
            if p.is_active and users[p.host_id].is_active and p.id not in booked and _matches(p, criteria)
        ]
        rising = ascending(criteria.sort)

        def key(p: Property) -> tuple[Any, uuid.UUID]:
            return (sort_value(p, criteria.sort), p.id)

        found.sort(key=key, reverse=not rising)
        if after is not None:
            found = [p for p in found if (key(p) > after if rising else key(p) < after)]
        return [copy.deepcopy(p) for p in found[:limit]]


class InMemoryBookingRepository:
    def __init__(self, table: _Table, tables: dict[str, _Table]) -> None:
        self._t = table
        self._tables = tables

    def add(self, booking: Booking) -> None:
        self._t.put(booking)

    update = add

    def get(self, booking_id: uuid.UUID) -> Booking | None:
        result: Booking | None = self._t.get(booking_id)
        return result

    lock = get  # the in-memory store serves one thread at a time: there is no other writer to lock out

    def get_many(self, booking_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Booking]:
        return {bid: booking for bid in set(booking_ids) if (booking := self._t.get(bid)) is not None}

    def lock_calendar(self, property_id: uuid.UUID) -> None:
        """Nothing to lock: see ``lock``."""

    def expire_lapsed(
        self, now: datetime, *, property_id: uuid.UUID | None = None, overlapping: Stay | None = None
    ) -> list[Booking]:
        lapsed = [
            copy.deepcopy(b)
            for b in self._t.rows.values()
            if b.status is not b.status_at(now)
            and property_id in (None, b.property_id)
            and (overlapping is None or b.stay.overlaps(overlapping))
        ]
        for booking in lapsed:
            booking.expire(now)
            self._t.put(booking)
        return lapsed

    def held_stays(
        self, property_ids: Collection[uuid.UUID], start: date, end: date, now: datetime
    ) -> dict[uuid.UUID, list[Stay]]:
        wanted, window = set(property_ids), Stay(start, end)
        held: dict[uuid.UUID, list[Stay]] = {}
        for b in sorted(self._t.rows.values(), key=lambda b: b.check_in_date):
            if b.property_id in wanted and b.blocks_dates(now) and b.stay.overlaps(window):
                held.setdefault(b.property_id, []).append(b.stay)
        return held

    def holds_dates_from(self, property_id: uuid.UUID, day: date, now: datetime) -> bool:
        return any(
            b.property_id == property_id and b.blocks_dates(now) and b.check_out_date > day
            for b in self._t.rows.values()
        )

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
        if role is BookingRole.HOST:
            places = self._tables["properties"].rows.values()
            owned = {p.id for p in places if p.host_id == user_id}
            mine = [b for b in self._t.rows.values() if b.property_id in owned]
        else:
            mine = [b for b in self._t.rows.values() if b.user_id == user_id]
        found = [
            copy.deepcopy(b)
            for b in sorted(mine, key=_newest_first)
            if (status is None or b.status_at(now) is status) and (after is None or (b.created_at, b.id) < after)
        ]
        return found[:limit]


class InMemoryPaymentRepository:
    def __init__(self, table: _Table, tables: dict[str, _Table]) -> None:
        self._t = table
        self._tables = tables

    def add(self, payment: Payment) -> None:
        self._t.put(payment)

    update = add

    def get_for_booking(self, booking_id: uuid.UUID) -> Payment | None:
        found: list[Payment] = self._t.find(booking_id=booking_id)
        return found[0] if found else None

    def get_many_for_bookings(self, booking_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Payment]:
        wanted = set(booking_ids)
        return {p.booking_id: copy.deepcopy(p) for p in self._t.rows.values() if p.booking_id in wanted}

    def held_for_inactive_bookings(self, *, limit: int) -> list[Payment]:
        bookings = self._tables["bookings"].rows
        held = [
            copy.deepcopy(p)
            for p in self._t.rows.values()
            if p.payment_status is PaymentStatus.AUTHORIZED and bookings[p.booking_id].status not in ACTIVE_STATUSES
        ]
        return held[:limit]

    def get_by_provider_id(self, provider: str, provider_payment_id: str) -> Payment | None:
        found: list[Payment] = self._t.find(provider=provider, provider_payment_id=provider_payment_id)
        return found[0] if found else None

    def unsettled(self, *, updated_before: datetime, limit: int) -> list[Payment]:
        in_flight = (PaymentStatus.PROCESSING, PaymentStatus.AUTHORIZED)
        movable = {*in_flight, *CAPTURED_STATUSES}
        found = [p for p in self._t.rows.values() if p.payment_status in movable and p.updated_at < updated_before]
        found.sort(key=lambda p: (p.payment_status not in in_flight, p.updated_at))
        return [copy.deepcopy(p) for p in found[:limit]]


class InMemoryProcessedWebhookEventRepository:
    def __init__(self, table: _Table) -> None:
        self._t = table

    def add(self, provider: str, event_id: str, at: datetime) -> bool:
        # The unit of work holds the whole store, so no other transaction can be adding the same event.
        if (provider, event_id) in self._t.rows:
            return False
        self._t.rows[provider, event_id] = at  # type: ignore[index]  # keyed by event, not by a UUID
        return True


class InMemoryReviewRepository:
    def __init__(self, table: _Table) -> None:
        self._t = table

    def add(self, review: Review) -> None:
        self._t.put(review)

    def get_for_booking(self, booking_id: uuid.UUID) -> Review | None:
        found: list[Review] = self._t.find(booking_id=booking_id)
        return found[0] if found else None

    def get_many_for_bookings(self, booking_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Review]:
        wanted = set(booking_ids)
        return {r.booking_id: copy.deepcopy(r) for r in self._t.rows.values() if r.booking_id in wanted}

    def reviewed(self, booking_ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
        wanted = set(booking_ids)
        return {r.booking_id for r in self._t.rows.values() if r.booking_id in wanted}

    def list_for_property(
        self, property_id: uuid.UUID, *, limit: int, after: tuple[datetime, uuid.UUID] | None
    ) -> list[Review]:
        found: list[Review] = sorted(self._t.find(property_id=property_id), key=_newest_first)
        if after is not None:
            found = [r for r in found if (r.created_at, r.id) < after]
        return found[:limit]

    def recent_for_properties(self, property_ids: Collection[uuid.UUID], limit: int) -> dict[uuid.UUID, list[Review]]:
        wanted = set(property_ids)
        recent: dict[uuid.UUID, list[Review]] = {}
        for review in sorted((r for r in self._t.rows.values() if r.property_id in wanted), key=_newest_first):
            if len(recent.setdefault(review.property_id, [])) < limit:
                recent[review.property_id].append(copy.deepcopy(review))
        return recent


def _newest_first(row: Review | Booking) -> tuple[float, int]:
    return (-row.created_at.timestamp(), -row.id.int)


def _words_match(query: str, text: str) -> bool:
    """Every word of the query starts a word of the text, as PostgreSQL's prefix full-text search has it."""
    if not query.split():
        return True  # blank text filters nothing
    wanted, words = re.findall(r"\w+", query.lower()), re.findall(r"\w+", text.lower())
    return bool(wanted) and all(any(word.startswith(w) for word in words) for w in wanted)


def _matches(p: Property, c: SearchCriteria) -> bool:
    """The search filters, as plain Python: the reference the SQL implementation must agree with."""
    return (
        (c.city is None or p.city.lower() == c.city.lower())
        and (c.country is None or p.country == c.country.upper())
        and (c.text is None or _words_match(c.text, f"{p.title} {p.description} {p.location}"))
        and (c.guests is None or p.max_guests >= c.guests)
        and (c.stay is None or p.min_nights <= c.stay.nights <= p.max_nights)
        and (c.min_price is None or p.price_per_night >= c.min_price)
        and (c.max_price is None or p.price_per_night <= c.max_price)
        and c.amenities <= set(p.amenities)
        and (c.instant_book is None or p.instant_book is c.instant_book)
        and (c.area is None or c.area.contains(p.latitude, p.longitude))
    )


class InMemoryOutboxRepository:
    """Marks are staged until the unit of work commits; the store's lock already serializes relays."""

    def __init__(self, store: InMemoryStore) -> None:
        self._store = store
        self.processed: dict[uuid.UUID, datetime] = {}

    def claim_unprocessed(self, limit: int) -> list[OutboxMessage]:
        return [m for m in self._store.outbox if m.processed_at is None and m.id not in self.processed][:limit]

    def mark_processed(self, message_ids: Collection[uuid.UUID], at: datetime) -> None:
        self.processed.update(dict.fromkeys(message_ids, at))


_TABLES = ("users", "refresh_tokens", "properties", "bookings", "payments", "reviews", "processed_webhook_events")


class InMemoryUnitOfWork(UnitOfWork):
    """Serializable transactions over an ``InMemoryStore``: one unit of work at a time holds the store."""

    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    def __enter__(self) -> InMemoryUnitOfWork:
        super().__enter__()
        self._store.lock.acquire()
        self._tables = {name: _Table(getattr(self._store, name)) for name in _TABLES}
        self.users = InMemoryUserRepository(self._tables["users"])
        self.refresh_tokens = InMemoryRefreshTokenRepository(self._tables["refresh_tokens"])
        self.properties = InMemoryPropertyRepository(self._tables["properties"], self._tables)
        self.bookings = InMemoryBookingRepository(self._tables["bookings"], self._tables)
        self.payments = InMemoryPaymentRepository(self._tables["payments"], self._tables)
        self.reviews = InMemoryReviewRepository(self._tables["reviews"])
        self.processed_webhook_events = InMemoryProcessedWebhookEventRepository(
            self._tables["processed_webhook_events"]
        )
        self.outbox = self._outbox = InMemoryOutboxRepository(self._store)
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            self.rollback()
        finally:
            self._store.lock.release()

    def _commit(self, outbox: Sequence[OutboxMessage]) -> None:
        self._check_constraints()
        for name, table in self._tables.items():
            setattr(self._store, name, table.rows)
            table.rows = dict(table.rows)
        processed = self._outbox.processed
        self._store.outbox = [
            *(replace(m, processed_at=processed[m.id]) if m.id in processed else m for m in self._store.outbox),
            *outbox,
        ]
        processed.clear()

    def _rollback(self) -> None:
        self._outbox.processed.clear()
        self._tables = {name: _Table(getattr(self._store, name)) for name in _TABLES}

    def _check_constraints(self) -> None:
        """The same uniqueness and exclusion rules the database schema enforces."""
        users = self._tables["users"].rows.values()
        if len({u.email for u in users}) != len(users):
            raise EmailTaken("an account with this email already exists")
        reviews = self._tables["reviews"].rows.values()
        if len({r.booking_id for r in reviews}) != len(reviews):
            raise Conflict("this booking already has a review", code="already_reviewed")
        payments = self._tables["payments"].rows.values()
        if len({p.booking_id for p in payments}) != len(payments):
            raise Conflict("this booking already has a payment", code="already_paid")
        active = [b for b in self._tables["bookings"].rows.values() if b.status in ACTIVE_STATUSES]
        for i, a in enumerate(active):
            for b in active[i + 1 :]:
                if a.property_id == b.property_id and a.stay.overlaps(b.stay):
                    raise DatesUnavailable("these dates are no longer available")
