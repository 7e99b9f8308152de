"""Standard-library adapters for every port, so the core runs on its own.

They back the core's unit tests and let a script use the platform without a database or a web
server. They are real implementations (scrypt password hashes, HMAC-signed tokens, transactional
unit of work), sized for one process and modest data, not for production traffic.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import math
import re
import secrets
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from airbnb_core.domain.bookings import ACTIVE_STATUSES, Booking
from airbnb_core.domain.errors import Conflict, DatesUnavailable, EmailTaken, InvalidInput, Unauthenticated
from airbnb_core.domain.events import BookingEvent
from airbnb_core.domain.money import Money
from airbnb_core.domain.payments import Payment
from airbnb_core.domain.properties import Property
from airbnb_core.domain.reviews import Review
from airbnb_core.domain.search import SearchCriteria, SortValue, ascending, sort_value
from airbnb_core.domain.stay import Stay
from airbnb_core.domain.users import RefreshToken, User
from airbnb_core.ports.payments import ProviderEvent, ProviderOutcome, ProviderPayment
from airbnb_core.ports.security import AccessClaims, PasswordHasher
from airbnb_core.ports.unit_of_work import UnitOfWork
from airbnb_core.services import Accounts, Listings, Services

E = TypeVar("E")


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that moves only when told to: for tests and simulations."""

    def __init__(self, now: datetime) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta


class ScryptPasswordHasher:
    """scrypt from the standard library; production uses argon2id instead."""

    def __init__(self, n: int = 2**14, r: int = 8, p: int = 1) -> None:
        self._params = (n, r, p)

    def hash(self, password: str) -> str:
        salt = secrets.token_bytes(16)
        n, r, p = self._params
        digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p)
        return f"scrypt${n}${r}${p}${salt.hex()}${digest.hex()}"

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            _, n, r, p, salt, digest = password_hash.split("$")
            candidate = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p))
        except ValueError:
            return False
        return hmac.compare_digest(candidate.hex(), digest)

    def needs_rehash(self, password_hash: str) -> bool:
        return not password_hash.startswith("scrypt${}${}${}$".format(*self._params))


class HmacTokenService:
    """Compact HMAC-SHA256 signed access tokens carrying the user id, session version and expiry."""

    def __init__(self, secret: bytes, ttl_seconds: int = 900) -> None:
        self._secret = secret
        self.access_token_ttl_seconds = ttl_seconds

    def issue_access_token(self, claims: AccessClaims, now: datetime) -> str:
        exp = int(now.timestamp()) + self.access_token_ttl_seconds
        payload = {"sub": str(claims.user_id), "sv": claims.session_version, "exp": exp}
        body = base64.urlsafe_b64encode(json.dumps(payload).encode())
        return f"{body.decode()}.{self._sign(body)}"

    def verify_access_token(self, token: str, now: datetime) -> AccessClaims:
        body, _, signature = token.encode().partition(b".")
        if not hmac.compare_digest(self._sign(body).encode(), signature):
            raise Unauthenticated("access token is invalid", code="invalid_token")
        claims = json.loads(base64.urlsafe_b64decode(body))  # signed by us, so well-formed
        if now.timestamp() >= claims["exp"]:
            raise Unauthenticated("access token has expired", code="token_expired")
        return AccessClaims(uuid.UUID(claims["sub"]), claims["sv"])

    def _sign(self, body: bytes) -> str:
        return hmac.new(self._secret, body, hashlib.sha256).hexdigest()


class InMemoryRateLimiter:
    """The generic cell rate algorithm (a token bucket kept as one number per key), in this process's memory.

    A key's bucket holds ``limit`` attempts and refills one every ``window_seconds / limit``; what is
    stored is the time at which it will be full again. A fixed window would let a client spend its
    whole limit at the end of one window and again at the start of the next.
    """

    def __init__(self, clock: SystemClock | FixedClock | None = None) -> None:
        self._clock = clock or SystemClock()
        self._full_at: dict[str, int] = {}  # microseconds since the epoch
        self._lock = threading.Lock()

    def hit(self, key: str, *, limit: int, window_seconds: int) -> int | None:
        # Whole microseconds, so that ``limit`` attempts at one instant fill the window exactly,
        # with no rounding to refuse the last of them.
        now = int(self._clock.now().timestamp() * 1_000_000)
        window = window_seconds * 1_000_000
        interval = max(1, window // limit)
        with self._lock:
            if len(self._full_at) > 100_000:  # forget the clients whose bucket is full again
                self._full_at = {k: t for k, t in self._full_at.items() if t > now}
            full_at = max(self._full_at.get(key, now), now) + interval
            if full_at - now > window:
                # Refused attempts are not counted: the client may retry as soon as one is free.
                return max(1, math.ceil((full_at - window - now) / 1_000_000))
            self._full_at[key] = full_at
        return None


class InMemoryCache:
    """Versioned scopes over a bounded in-process store.

    A value is stored under its key plus the versions of the scopes it depends on; invalidating a
    scope bumps its version, so a reader that started before a write can never resurrect its
    stale answer under the new versions.
    """

    def __init__(self, max_entries: int = 10_000) -> None:
        self._versions: dict[str, int] = {}
        self._values: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._max_entries = max_entries
        self._lock = threading.Lock()

    def versioned_key(self, key: str, scopes: Sequence[str]) -> str:
        with self._lock:
            return ":".join([key, *(str(self._versions.get(scope, 0)) for scope in scopes)])

    def get(self, versioned_key: str) -> bytes | None:
        with self._lock:
            entry = self._values.get(versioned_key)
            if entry is None or entry[0] <= time.monotonic():
                return None
            self._values.move_to_end(versioned_key)
            return entry[1]

    def set(self, versioned_key: str, value: bytes, ttl_seconds: int) -> None:
        with self._lock:
            self._values[versioned_key] = (time.monotonic() + ttl_seconds, value)
            self._values.move_to_end(versioned_key)
            while len(self._values) > self._max_entries:
                self._values.popitem(last=False)

    def invalidate(self, *scopes: str) -> None:
        with self._lock:
            for scope in scopes:
                self._versions[scope] = self._versions.get(scope, 0) + 1

    # The web edge's asynchronous face of the same store; nothing here blocks.
    async def lookup(self, key: str, scopes: Sequence[str]) -> tuple[bytes | None, str]:
        versioned_key = self.versioned_key(key, scopes)
        return self.get(versioned_key), versioned_key

    async def store(self, versioned_key: str, value: bytes, ttl_seconds: int) -> None:
        self.set(versioned_key, value, ttl_seconds)


class RecordingNotifier:
    """Keeps every notification it was asked to send, in order."""

    def __init__(self) -> None:
        self.sent: list[BookingEvent] = []

    def notify(self, event: BookingEvent) -> None:
        self.sent.append(event)


class FakePaymentGateway:
    """Understands Stripe's test payment methods.

    ``pm_card_visa`` succeeds and ``pm_card_chargeDeclined`` is declined.
    """

    name = "fake"

    def __init__(self, webhook_secret: bytes = b"whsec_fake") -> None:
        self._secret = webhook_secret
        self.payments: dict[str, dict[str, Any]] = {}

    def create(self, amount: Money, *, payment_method: str, capture: bool, idempotency_key: str) -> ProviderPayment:
        pid = f"fake_{hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]}"
        if payment_method == "pm_card_chargeDeclined":
            return ProviderPayment(pid, ProviderOutcome.DECLINED, "card_declined")
        outcome = ProviderOutcome.SUCCEEDED if capture else ProviderOutcome.AUTHORIZED
        self.payments.setdefault(pid, {"amount": amount, "status": outcome.value, "refunded": 0})
        return ProviderPayment(pid, outcome)

    def capture(self, provider_payment_id: str) -> None:
        self.payments[provider_payment_id]["status"] = ProviderOutcome.SUCCEEDED.value

    def void(self, provider_payment_id: str) -> None:
        self.payments[provider_payment_id]["status"] = "voided"

    def refund(self, provider_payment_id: str, amount: Money, *, idempotency_key: str) -> None:
        self.payments[provider_payment_id]["refunded"] += amount.amount

    def parse_webhook(self, payload: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        expected = hmac.new(self._secret, payload, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, headers.get("x-signature", "")):
            raise InvalidInput("webhook signature does not match", code="bad_signature")
        event = json.loads(payload)
        return ProviderEvent(event["id"], event["type"], event["payment_id"])


@dataclass
class InMemoryStore:
    """The committed state that in-memory units of work read from and write to."""

    users: dict[uuid.UUID, User] = field(default_factory=dict)
    refresh_tokens: dict[uuid.UUID, RefreshToken] = field(default_factory=dict)
    properties: dict[uuid.UUID, Property] = field(default_factory=dict)
    bookings: dict[uuid.UUID, Booking] = field(default_factory=dict)
    payments: dict[uuid.UUID, Payment] = field(default_factory=dict)
    reviews: dict[uuid.UUID, Review] = field(default_factory=dict)
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
    def __init__(self, table: _Table) -> None:
        self._t = table

    def add(self, booking: Booking) -> None:
        self._t.put(booking)

    update = add

    def get(self, booking_id: uuid.UUID) -> Booking | None:
        result: Booking | None = self._t.get(booking_id)
        return result

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


class InMemoryPaymentRepository:
    def __init__(self, table: _Table) -> None:
        self._t = table

    def add(self, payment: Payment) -> None:
        self._t.put(payment)

    update = add

    def get_for_booking(self, booking_id: uuid.UUID) -> Payment | None:
        found: list[Payment] = self._t.find(booking_id=booking_id)
        return found[0] if found else None


class InMemoryReviewRepository:
    def __init__(self, table: _Table) -> None:
        self._t = table

    def add(self, review: Review) -> None:
        self._t.put(review)

    def get_for_booking(self, booking_id: uuid.UUID) -> Review | None:
        found: list[Review] = self._t.find(booking_id=booking_id)
        return found[0] if found else None

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


def _newest_first(review: Review) -> tuple[float, int]:
    return (-review.created_at.timestamp(), -review.id.int)


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


_TABLES = ("users", "refresh_tokens", "properties", "bookings", "payments", "reviews")


class InMemoryUnitOfWork(UnitOfWork):
    """Serializable transactions over an ``InMemoryStore``: one unit of work at a time holds the store."""

    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    def __enter__(self) -> InMemoryUnitOfWork:
        self._store.lock.acquire()
        self._tables = {name: _Table(getattr(self._store, name)) for name in _TABLES}
        self.users = InMemoryUserRepository(self._tables["users"])
        self.refresh_tokens = InMemoryRefreshTokenRepository(self._tables["refresh_tokens"])
        self.properties = InMemoryPropertyRepository(self._tables["properties"], self._tables)
        self.bookings = InMemoryBookingRepository(self._tables["bookings"])
        self.payments = InMemoryPaymentRepository(self._tables["payments"])
        self.reviews = InMemoryReviewRepository(self._tables["reviews"])
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            self.rollback()
        finally:
            self._store.lock.release()

    def commit(self) -> None:
        self._check_constraints()
        for name, table in self._tables.items():
            setattr(self._store, name, table.rows)
            table.rows = dict(table.rows)

    def rollback(self) -> None:
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


@dataclass
class InMemoryPlatform:
    """The core wired to in-memory adapters: what a script imports to use the platform directly."""

    store: InMemoryStore
    clock: SystemClock | FixedClock
    notifier: RecordingNotifier
    payments: FakePaymentGateway
    cache: InMemoryCache
    services: Services
    service_fee_rate: Decimal = Decimal("0.10")

    @property
    def accounts(self) -> Accounts:
        return self.services.accounts

    @property
    def listings(self) -> Listings:
        return self.services.listings


def in_memory_platform(
    clock: SystemClock | FixedClock | None = None, password_hasher: PasswordHasher | None = None
) -> InMemoryPlatform:
    store = InMemoryStore()
    clock = clock or SystemClock()
    cache = InMemoryCache()
    accounts = Accounts(
        uow=lambda: InMemoryUnitOfWork(store),
        hasher=password_hasher or ScryptPasswordHasher(),
        tokens=HmacTokenService(secrets.token_bytes(32)),
        clock=clock,
        cache=cache,
    )
    listings = Listings(uow=lambda: InMemoryUnitOfWork(store), clock=clock, cache=cache)
    return InMemoryPlatform(
        store, clock, RecordingNotifier(), FakePaymentGateway(), cache, Services(accounts, listings)
    )
