"""Bookings: the stay a guest holds, pays for and may cancel."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from airbnb_core.domain.errors import Conflict, FieldError, Forbidden, InvalidInput, InvalidTransition
from airbnb_core.domain.money import Money
from airbnb_core.domain.properties import CancellationPolicy, Property
from airbnb_core.domain.stay import Stay
from airbnb_core.domain.users import User

REQUEST_TO_BOOK_WINDOW = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class BookingTerms:
    """The operator's terms for every booking: how long dates are held unpaid, how long a host has to answer a
    request to book, and the guest's service fee as a share of the stay's price."""

    hold: timedelta = timedelta(minutes=15)
    request_window: timedelta = REQUEST_TO_BOOK_WINDOW
    service_fee_rate: Decimal = Decimal("0.10")

    def __post_init__(self) -> None:
        if self.hold <= timedelta(0) or self.request_window <= timedelta(0):
            raise ValueError("a hold and a request window last some time")
        if not Decimal(0) <= self.service_fee_rate < Decimal(1):
            raise ValueError("the service fee rate is at least 0 and below 1")


class BookingStatus(enum.StrEnum):
    PENDING = "pending"
    REQUESTED = "requested"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


ACTIVE_STATUSES = frozenset({BookingStatus.PENDING, BookingStatus.REQUESTED, BookingStatus.CONFIRMED})


class BookingRole(enum.StrEnum):
    """The side of the bookings a caller lists: the ones they made, or the ones on their properties."""

    GUEST = "guest"
    HOST = "host"


class CancelledBy(enum.StrEnum):
    GUEST = "guest"
    HOST = "host"


class Action(enum.StrEnum):
    """What a caller may do to a booking now; clients show these instead of re-deriving the state machine."""

    PAY = "pay"
    CANCEL = "cancel"
    APPROVE = "approve"
    DECLINE = "decline"
    REVIEW = "review"


@dataclass(frozen=True, slots=True)
class RefundPreview:
    """What cancelling now would give back."""

    refund: Money
    refund_percent: int
    policy: CancellationPolicy
    days_before_check_in: int
    voids_authorization: bool


@dataclass(slots=True)
class Booking:
    id: uuid.UUID
    user_id: uuid.UUID
    property_id: uuid.UUID
    check_in_date: date
    check_out_date: date
    guests: int
    status: BookingStatus
    nightly_subtotal: int
    cleaning_fee: int
    service_fee: int
    total_price: int
    currency: str
    hold_expires_at: datetime | None
    created_at: datetime
    updated_at: datetime
    cancelled_by: CancelledBy | None = None
    cancelled_at: datetime | None = None
    refund_amount: int | None = None

    @classmethod
    def request(
        cls,
        *,
        guest: User,
        place: Property,
        stay: Stay,
        guests: int,
        now: datetime,
        terms: BookingTerms,
    ) -> Booking:
        """Hold ``stay`` at ``place`` for ``guest`` as a pending booking, priced by the server.

        The stay may not start before today where the property is.
        """
        if guest.id == place.host_id:
            raise Forbidden("hosts cannot book their own property", code="own_property")
        cls.check(place=place, stay=stay, guests=guests, now=now)
        quote = place.quote(stay, terms.service_fee_rate)
        return cls(
            id=uuid.uuid4(),
            user_id=guest.id,
            property_id=place.id,
            check_in_date=stay.check_in,
            check_out_date=stay.check_out,
            guests=guests,
            status=BookingStatus.PENDING,
            nightly_subtotal=quote.nightly_subtotal.amount,
            cleaning_fee=quote.cleaning_fee.amount,
            service_fee=quote.service_fee.amount,
            total_price=quote.total.amount,
            currency=place.currency,
            hold_expires_at=now + terms.hold,
            created_at=now,
            updated_at=now,
        )

    @staticmethod
    def check(*, place: Property, stay: Stay, guests: int, now: datetime) -> None:
        """The rules any booking of ``stay`` at ``place`` must meet, whoever books (a quote checks them too)."""
        if not place.is_active:
            raise Conflict("this property is not accepting bookings", code="property_inactive")
        errors: list[FieldError] = []
        if stay.check_in < place.today(now):
            errors.append(FieldError("check_in", "must not be in the past"))
        if not place.min_nights <= stay.nights <= place.max_nights:
            errors.append(FieldError("check_out", f"stay must be {place.min_nights} to {place.max_nights} nights"))
        if not 1 <= guests <= place.max_guests:
            errors.append(FieldError("guests", f"must be 1 to {place.max_guests}"))
        if errors:
            raise InvalidInput.of(errors)

    @property
    def stay(self) -> Stay:
        return Stay(self.check_in_date, self.check_out_date)

    @property
    def total(self) -> Money:
        return Money(self.total_price, self.currency)

    def status_at(self, now: datetime) -> BookingStatus:
        """The status at ``now``: a hold or request whose time has passed is expired, whether or not it was stored."""
        lapsed = self.hold_expires_at is not None and now >= self.hold_expires_at
        if self.status in (BookingStatus.PENDING, BookingStatus.REQUESTED) and lapsed:
            return BookingStatus.EXPIRED
        return self.status

    def days_before_check_in(self, today: date) -> int:
        """``today`` is the date in the property's time zone."""
        return (self.check_in_date - today).days

    def refund_preview(self, by: CancelledBy, policy: CancellationPolicy, today: date) -> RefundPreview:
        """What cancelling today by ``by`` would refund: nothing is captured before confirmation
        (an authorized card is voided instead); after it the host refunds all, the guest per policy."""
        days = self.days_before_check_in(today)
        captured = self.status is BookingStatus.CONFIRMED
        percent = (100 if by is CancelledBy.HOST else policy.refund_percent(days)) if captured else 0
        return RefundPreview(
            refund=self.total.share(Decimal(percent) / 100),
            refund_percent=percent,
            policy=policy,
            days_before_check_in=days,
            voids_authorization=self.status is BookingStatus.REQUESTED,
        )

    def actions(self, *, guest: bool, host: bool, now: datetime, today: date, reviewed: bool) -> tuple[Action, ...]:
        """What a caller who is the booking's ``guest`` and/or the property's ``host`` may do at ``now``."""
        status = self.status_at(now)
        found: list[Action] = []
        if guest and status is BookingStatus.PENDING:
            found.append(Action.PAY)
        if (guest or host) and status in ACTIVE_STATUSES and today < self.check_out_date:
            found.append(Action.CANCEL)
        if host and status is BookingStatus.REQUESTED:
            found += [Action.APPROVE, Action.DECLINE]
        if guest and status is BookingStatus.CONFIRMED and self.check_out_date <= today and not reviewed:
            found.append(Action.REVIEW)
        return tuple(found)

    def blocks_dates(self, now: datetime) -> bool:
        """Whether this booking holds its dates: active, and not a hold whose time has passed."""
        if self.status not in ACTIVE_STATUSES:
            return False
        return self.status is BookingStatus.CONFIRMED or self.hold_expires_at is None or now < self.hold_expires_at

    def paid(self, *, instant_book: bool, now: datetime, request_window: timedelta = REQUEST_TO_BOOK_WINDOW) -> None:
        """The payment went through: captured for instant booking, only authorized otherwise.

        A request to book then waits ``request_window`` (``BookingTerms.request_window``) for the host.
        """
        self._require(BookingStatus.PENDING, "pay for")
        if self.hold_expires_at is not None and now >= self.hold_expires_at:
            raise InvalidTransition("the hold on these dates has expired", code="hold_expired")
        if instant_book:
            self._move(BookingStatus.CONFIRMED, now, hold_expires_at=None)
        else:
            self._move(BookingStatus.REQUESTED, now, hold_expires_at=now + request_window)

    def approve(self, now: datetime) -> None:
        self._require(BookingStatus.REQUESTED, "approve")
        self._move(BookingStatus.CONFIRMED, now, hold_expires_at=None)

    def decline(self, now: datetime) -> None:
        self._require(BookingStatus.REQUESTED, "decline")
        self._move(BookingStatus.DECLINED, now, hold_expires_at=None)

    def expire(self, now: datetime) -> None:
        """Lapse an unpaid hold or an unanswered request once its time has passed."""
        if self.status not in (BookingStatus.PENDING, BookingStatus.REQUESTED):
            raise InvalidTransition(f"a {self.status} booking cannot expire")
        if self.hold_expires_at is None or now < self.hold_expires_at:
            raise InvalidTransition("this booking's time has not run out yet")
        self._move(BookingStatus.EXPIRED, now, hold_expires_at=self.hold_expires_at)

    def cancel(self, by: CancelledBy, *, policy_refund_percent: int, now: datetime) -> Money:
        """Cancel and return the refund owed on a captured payment.

        The host refunds everything; the guest gets ``policy_refund_percent``. Pending and
        requested bookings were never captured, so nothing is refunded (a card
        authorization is voided instead).
        """
        self.require_cancellable(now)
        captured = self.status is BookingStatus.CONFIRMED
        percent = 100 if by is CancelledBy.HOST else policy_refund_percent
        refund = self.total.share(Decimal(percent) / 100) if captured else Money(0, self.currency)
        self._move(BookingStatus.CANCELLED, now, hold_expires_at=None)
        self.cancelled_by, self.cancelled_at, self.refund_amount = by, now, refund.amount
        return refund

    def require_cancellable(self, now: datetime) -> None:
        status = self.status_at(now)
        if status not in ACTIVE_STATUSES:
            raise InvalidTransition(f"a {status} booking cannot be cancelled")

    def _require(self, status: BookingStatus, action: str) -> None:
        if self.status is not status:
            raise InvalidTransition(f"cannot {action} a {self.status} booking")

    def _move(self, status: BookingStatus, now: datetime, *, hold_expires_at: datetime | None) -> None:
        self.status = status
        self.hold_expires_at = hold_expires_at
        self.updated_at = now
