"""The use cases, grouped by capability; the bundle the edges (REST, GraphQL, scripts) receive; its one builder."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from airbnb_core.domain.bookings import BookingTerms
from airbnb_core.ports.cache import NO_CACHE, CacheInvalidator
from airbnb_core.ports.clock import Clock
from airbnb_core.ports.jobs import NO_JOBS, JobQueue
from airbnb_core.ports.notifications import UNNOTIFIED, DeliveryLog, Notifier
from airbnb_core.ports.payments import PaymentGateway
from airbnb_core.ports.queries import ListingQueries
from airbnb_core.ports.rate_limit import UNLIMITED, RateLimiter
from airbnb_core.ports.security import PasswordHasher, TokenService
from airbnb_core.ports.unit_of_work import UnitOfWork
from airbnb_core.services.accounts import Accounts
from airbnb_core.services.bookings import Bookings
from airbnb_core.services.handlers import after_commit_handlers
from airbnb_core.services.listing_reads import ListingReads, UnitOfWorkListingQueries
from airbnb_core.services.listings import Listings
from airbnb_core.services.notifications import Notifications
from airbnb_core.services.payments import Payments
from airbnb_core.services.reviews import Reviews


@dataclass(frozen=True, slots=True)
class Services:
    accounts: Accounts
    listings: Listings
    listing_reads: ListingReads
    bookings: Bookings
    payments: Payments
    reviews: Reviews
    notifications: Notifications


def build_services(
    uow: Callable[[], UnitOfWork],
    *,
    read_uow: Callable[[], UnitOfWork] | None = None,
    queries: ListingQueries | None = None,
    clock: Clock,
    hasher: PasswordHasher,
    tokens: TokenService,
    terms: BookingTerms,
    gateway: PaymentGateway,
    jobs: JobQueue = NO_JOBS,
    notifier: Notifier = UNNOTIFIED,
    delivery_log: DeliveryLog = UNNOTIFIED,
    cache: CacheInvalidator = NO_CACHE,
    limiter: RateLimiter = UNLIMITED,
    attempts_per_minute: int = 10,
) -> Services:
    """Every use case, wired to the given ports: the only place that constructs them.

    Their units of work date outbox messages by ``clock`` and, after each commit, run the handlers of
    ``services.handlers`` (which forget the cached answers the change made stale). ``terms`` are the
    booking use cases' hold, request window and service fee; ``gateway`` the payment provider; ``jobs``
    runs the notification jobs (relay, send), which ``notifier`` delivers and ``delivery_log`` keeps once.

    ``bootstrap.py`` calls it with the production adapters, ``in_memory_platform`` with in-memory ones,
    and tests with whatever they put under test. ``read_uow``, when given, opens the units of work of the
    listings' public reads (a read replica's); every write, and every read inside one, uses ``uow``.
    ``queries`` answers the anonymous listing pages and searches; without it the repositories of ``read_uow``
    (or ``uow``) do.
    """
    handlers = after_commit_handlers(cache=cache, jobs=jobs)

    def opener(factory: Callable[[], UnitOfWork]) -> Callable[[], UnitOfWork]:
        def unit_of_work() -> UnitOfWork:
            opened = factory()
            opened.clock, opened.handlers = clock, handlers
            return opened

        return unit_of_work

    unit_of_work = opener(uow)
    reads = opener(read_uow) if read_uow else None

    return Services(
        accounts=Accounts(
            unit_of_work, hasher, tokens, clock, limiter=limiter, attempts_per_minute=attempts_per_minute
        ),
        listings=Listings(unit_of_work, clock, reads=reads),
        listing_reads=ListingReads(queries or UnitOfWorkListingQueries(reads or unit_of_work), clock),
        bookings=Bookings(unit_of_work, clock, gateway, terms),
        payments=Payments(unit_of_work, clock, gateway, terms),
        reviews=Reviews(unit_of_work, clock),
        notifications=Notifications(unit_of_work, clock, jobs, notifier, delivery_log),
    )


__all__ = [
    "Accounts",
    "Bookings",
    "ListingReads",
    "Listings",
    "Notifications",
    "Payments",
    "Reviews",
    "Services",
    "build_services",
]
