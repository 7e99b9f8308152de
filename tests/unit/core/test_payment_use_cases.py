"""Paying, the host's answer, refunds on cancellation, lapsed requests and reviews, on the in-memory platform.

The gateway is the in-memory one, which keeps a provider's rules (idempotency keys, no void after a
capture): each test compares what the platform recorded with what the provider holds.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from airbnb_core.domain.bookings import Action, BookingStatus
from airbnb_core.domain.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PaymentDeclined,
    ServiceUnavailable,
)
from airbnb_core.domain.payments import PaymentStatus
from airbnb_core.domain.stay import Stay
from airbnb_core.domain.users import User
from airbnb_core.inmemory import (
    FixedClock,
    InMemoryPaymentGateway,
    InMemoryPlatform,
    ScryptPasswordHasher,
    in_memory_platform,
)
from airbnb_core.ports.payments import ProviderEvent
from airbnb_core.services.accounts import RegisterUser
from airbnb_core.services.bookings import RequestBooking
from airbnb_core.services.listings import PropertyDraft

NOW = datetime(2030, 3, 1, 12, tzinfo=UTC)
STAY = Stay(date(2030, 4, 1), date(2030, 4, 4))  # 3 nights × 100.00 + 20.00 cleaning + 10% = 352.00
TOTAL = 35_200


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def gateway() -> InMemoryPaymentGateway:
    return InMemoryPaymentGateway()


@pytest.fixture
def platform(clock: FixedClock, gateway: InMemoryPaymentGateway) -> InMemoryPlatform:
    return in_memory_platform(clock=clock, gateway=gateway, hasher=ScryptPasswordHasher(n=2**8))


def person(platform: InMemoryPlatform, name: str, *, host: bool = False) -> User:
    return platform.services.accounts.register(RegisterUser(name, f"{name}@example.com", "a-long-password", host))


@pytest.fixture
def host(platform: InMemoryPlatform) -> User:
    return person(platform, "hana", host=True)


@pytest.fixture
def guest(platform: InMemoryPlatform) -> User:
    return person(platform, "ana")


def listing(platform: InMemoryPlatform, host: User, *, instant_book: bool, policy: str = "moderate") -> uuid.UUID:
    draft = PropertyDraft(
        title="Loft", location="1 Quay", city="Lyon", country="FR", latitude=45.76, longitude=4.84,
        price_per_night=10_000, currency="EUR", max_guests=3, cleaning_fee=2_000, instant_book=instant_book,
        cancellation_policy=policy,
    )  # fmt: skip
    return platform.services.listings.create(host, draft).id


def booked(platform: InMemoryPlatform, guest: User, place_id: uuid.UUID, stay: Stay = STAY) -> uuid.UUID:
    return platform.services.bookings.request(guest, RequestBooking(place_id, stay, 2)).booking.id


def status(platform: InMemoryPlatform, viewer: User, booking_id: uuid.UUID) -> BookingStatus:
    return platform.services.bookings.view(viewer, booking_id).status


def test_instant_book_captures_and_confirms(platform: InMemoryPlatform, host: User, guest: User) -> None:
    booking_id = booked(platform, guest, listing(platform, host, instant_book=True))
    payment = platform.services.payments.pay(guest, booking_id, "pm_card_visa")
    assert (payment.payment_status, payment.amount, payment.currency) == (PaymentStatus.SUCCEEDED, TOTAL, "EUR")
    assert status(platform, guest, booking_id) is BookingStatus.CONFIRMED
    assert platform.services.payments.payment(host, booking_id).id == payment.id
    assert "BookingConfirmed" in [m.topic for m in platform.store.outbox]
    with pytest.raises(InvalidTransition):
        platform.services.payments.pay(guest, booking_id, "pm_card_visa")


def test_request_to_book_authorizes_then_the_host_approves_and_the_card_is_captured(
    platform: InMemoryPlatform, gateway: InMemoryPaymentGateway, host: User, guest: User
) -> None:
    booking_id = booked(platform, guest, listing(platform, host, instant_book=False))
    payment = platform.services.payments.pay(guest, booking_id, "pm_card_mastercard")
    assert payment.payment_status is PaymentStatus.AUTHORIZED
    assert platform.services.bookings.view(host, booking_id).actions == (Action.CANCEL, Action.APPROVE, Action.DECLINE)
    with pytest.raises(Forbidden):
        platform.services.payments.approve(guest, booking_id)
    assert platform.services.payments.approve(host, booking_id).status is BookingStatus.CONFIRMED
    assert platform.services.payments.payment(guest, booking_id).payment_status is PaymentStatus.SUCCEEDED
    assert gateway.status(payment.provider_payment_id or "") == ("succeeded", 0)
    with pytest.raises(InvalidTransition):
        platform.services.payments.decline(host, booking_id)


def test_a_declined_request_releases_the_card(
    platform: InMemoryPlatform, gateway: InMemoryPaymentGateway, host: User, guest: User
) -> None:
    booking_id = booked(platform, guest, listing(platform, host, instant_book=False))
    payment = platform.services.payments.pay(guest, booking_id, "pm_card_visa")
    assert platform.services.payments.decline(host, booking_id).status is BookingStatus.DECLINED
    assert platform.services.payments.payment(guest, booking_id).payment_status is PaymentStatus.VOIDED
    assert gateway.status(payment.provider_payment_id or "") == ("canceled", 0)
    with pytest.raises(InvalidTransition):
        platform.services.payments.approve(host, booking_id)


@pytest.mark.parametrize(
    ("method", "code"),
    [
        ("pm_card_chargeDeclined", "card_declined"),
        ("pm_card_chargeDeclinedInsufficientFunds", "card_declined"),
        ("pm_card_authenticationRequired", "authentication_required"),
    ],
)
def test_a_decline_leaves_the_booking_pending_for_another_card(
    platform: InMemoryPlatform, host: User, guest: User, method: str, code: str
) -> None:
    booking_id = booked(platform, guest, listing(platform, host, instant_book=True))
    with pytest.raises(PaymentDeclined) as declined:
        platform.services.payments.pay(guest, booking_id, method)
    assert declined.value.code == code
    assert status(platform, guest, booking_id) is BookingStatus.PENDING
    assert platform.services.payments.payment(guest, booking_id).payment_status is PaymentStatus.FAILED
    assert "PaymentFailed" in [m.topic for m in platform.store.outbox]
    retried = platform.services.payments.pay(guest, booking_id, "pm_card_visa")
    assert (retried.payment_status, retried.attempts) == (PaymentStatus.SUCCEEDED, 2)


def test_an_unknown_payment_method_is_refused_and_does_not_block_the_next_attempt(
    platform: InMemoryPlatform, host: User, guest: User
) -> None:
    booking_id = booked(platform, guest, listing(platform, host, instant_book=True))
    with pytest.raises(InvalidInput):
        platform.services.payments.pay(guest, booking_id, "pm_card_madeUp")
    with pytest.raises(InvalidInput):
        platform.services.payments.pay(guest, booking_id, "4242424242424242")
    assert platform.services.payments.payment(guest, booking_id).payment_method == "pm_card_madeUp"
    assert platform.services.payments.pay(guest, booking_id, "pm_card_visa").payment_status is PaymentStatus.SUCCEEDED


def test_only_the_guest_pays_and_strangers_do_not_see_the_payment(
    platform: InMemoryPlatform, host: User, guest: User
) -> None:
    booking_id = booked(platform, guest, listing(platform, host, instant_book=True))
    with pytest.raises(Forbidden):
        platform.services.payments.pay(host, booking_id, "pm_card_visa")
    with pytest.raises(NotFound):
        platform.services.payments.pay(person(platform, "eve"), booking_id, "pm_card_visa")
    with pytest.raises(NotFound):
        platform.services.payments.payment(guest, booking_id)  # nothing paid yet


def test_a_lapsed_hold_cannot_be_paid(platform: InMemoryPlatform, clock: FixedClock, host: User, guest: User) -> None:
    booking_id = booked(platform, guest, listing(platform, host, instant_book=True))
    clock.advance(timedelta(minutes=15))
    with pytest.raises(InvalidTransition) as lapsed:
        platform.services.payments.pay(guest, booking_id, "pm_card_visa")
    assert lapsed.value.code == "hold_expired"


def test_a_provider_outage_mid_payment_is_repaired_by_retrying_without_a_second_charge(
    platform: InMemoryPlatform, gateway: InMemoryPaymentGateway, host: User, guest: User
) -> None:
    booking_id = booked(platform, guest, listing(platform, host, instant_book=True))
    gateway.unreachable = True
    with pytest.raises(ServiceUnavailable):
        platform.services.payments.pay(guest, booking_id, "pm_card_visa")
    gateway.unreachable = False
    # The retry names another card, but the attempt under way is resumed as it was begun.
    payment = platform.services.payments.pay(guest, booking_id, "pm_card_mastercard")
    assert (payment.payment_status, payment.payment_method, payment.attempts) == (
        PaymentStatus.SUCCEEDED, "pm_card_visa", 1,
    )  # fmt: skip
    assert len(gateway.intents) == 1


def test_a_crash_after_the_charge_is_repaired_by_retrying_without_a_second_charge(
    platform: InMemoryPlatform, gateway: InMemoryPaymentGateway, host: User, guest: User
) -> None:
    booking_id = booked(platform, guest, listing(platform, host, instant_book=True))
    real_create = gateway.create

    def charge_then_crash(*args: object, **kwargs: object) -> object:
        real_create(*args, **kwargs)  # type: ignore[arg-type]
        raise RuntimeError("the process died before recording the charge")

    gateway.create = charge_then_crash  # type: ignore[method-assign,assignment]
    with pytest.raises(RuntimeError):
        platform.services.payments.pay(guest, booking_id, "pm_card_visa")
    assert platform.services.payments.payment(guest, booking_id).payment_status is PaymentStatus.PROCESSING
    gateway.create = real_create  # type: ignore[method-assign]
    assert platform.services.payments.pay(guest, booking_id, "pm_card_visa").payment_status is PaymentStatus.SUCCEEDED
    assert len(gateway.intents) == 1 and status(platform, guest, booking_id) is BookingStatus.CONFIRMED


@pytest.mark.parametrize(
    ("policy", "days_before", "refund"),
    [
        ("flexible", 1, TOTAL), ("flexible", 0, 0),
        ("moderate", 5, TOTAL), ("moderate", 4, TOTAL // 2), ("moderate", 1, TOTAL // 2), ("moderate", 0, 0),
        ("strict", 14, TOTAL), ("strict", 13, TOTAL // 2), ("strict", 7, TOTAL // 2), ("strict", 6, 0),
    ],
)  # fmt: skip
def test_a_guest_cancelling_a_paid_stay_is_refunded_through_the_provider_per_policy(
    platform: InMemoryPlatform,
    gateway: InMemoryPaymentGateway,
    host: User,
    guest: User,
    policy: str,
    days_before: int,
    refund: int,
) -> None:
    check_in = NOW.date() + timedelta(days=days_before)
    booking_id = booked(
        platform,
        guest,
        listing(platform, host, instant_book=True, policy=policy),
        Stay(check_in, check_in + timedelta(3)),
    )
    payment = platform.services.payments.pay(guest, booking_id, "pm_card_visa")
    cancelled = platform.services.bookings.cancel(guest, booking_id).booking
    assert cancelled.refund_amount == refund
    after = platform.services.payments.payment(guest, booking_id)
    assert after.refunded_amount == refund
    assert gateway.status(payment.provider_payment_id or "") == ("succeeded", refund)


def test_a_host_cancelling_refunds_everything_and_a_held_card_is_released_instead(
    platform: InMemoryPlatform, gateway: InMemoryPaymentGateway, host: User, guest: User
) -> None:
    instant = booked(platform, guest, listing(platform, host, instant_book=True, policy="strict"))
    platform.services.payments.pay(guest, instant, "pm_card_visa")
    assert platform.services.bookings.cancel(host, instant).booking.refund_amount == TOTAL
    assert platform.services.payments.payment(guest, instant).payment_status is PaymentStatus.REFUNDED

    requested = booked(platform, guest, listing(platform, host, instant_book=False))
    held = platform.services.payments.pay(guest, requested, "pm_card_visa")
    assert platform.services.bookings.cancellation_preview(guest, requested).voids_authorization
    assert platform.services.bookings.cancel(guest, requested).booking.refund_amount == 0
    assert platform.services.payments.payment(guest, requested).payment_status is PaymentStatus.VOIDED
    assert gateway.status(held.provider_payment_id or "") == ("canceled", 0)


def test_an_unanswered_request_lapses_and_the_sweep_releases_the_card(
    platform: InMemoryPlatform, gateway: InMemoryPaymentGateway, clock: FixedClock, host: User, guest: User
) -> None:
    booking_id = booked(platform, guest, listing(platform, host, instant_book=False))
    held = platform.services.payments.pay(guest, booking_id, "pm_card_visa")
    clock.advance(timedelta(hours=24))
    assert status(platform, host, booking_id) is BookingStatus.EXPIRED
    with pytest.raises(InvalidTransition):
        platform.services.payments.approve(host, booking_id)
    assert platform.services.bookings.expire_lapsed() == 1
    assert platform.services.payments.payment(guest, booking_id).payment_status is PaymentStatus.VOIDED
    assert gateway.status(held.provider_payment_id or "") == ("canceled", 0)


def test_an_approval_that_loses_to_a_decline_at_the_provider_is_refused(
    platform: InMemoryPlatform, gateway: InMemoryPaymentGateway, host: User, guest: User
) -> None:
    booking_id = booked(platform, guest, listing(platform, host, instant_book=False))
    held = platform.services.payments.pay(guest, booking_id, "pm_card_visa")
    gateway.void(held.provider_payment_id or "")  # a concurrent decline got to the provider first
    with pytest.raises(InvalidTransition):
        platform.services.payments.approve(host, booking_id)
    assert status(platform, host, booking_id) is BookingStatus.REQUESTED


def test_a_guest_reviews_a_finished_stay_once_and_the_rating_follows(
    platform: InMemoryPlatform, clock: FixedClock, host: User
) -> None:
    place_id = listing(platform, host, instant_book=True)
    guests = [person(platform, name) for name in ("ana", "ben", "cy")]
    stays = [Stay(STAY.check_in + timedelta(days=7 * n), STAY.check_out + timedelta(days=7 * n)) for n in range(3)]
    bookings = [booked(platform, g, place_id, stay) for g, stay in zip(guests, stays, strict=True)]
    for g, booking_id in zip(guests, bookings, strict=True):
        platform.services.payments.pay(g, booking_id, "pm_card_visa")
    with pytest.raises(Conflict) as early:
        platform.services.reviews.write(guests[0], bookings[0], rating=5, comment="")
    assert early.value.code == "stay_not_over"
    clock.advance(timedelta(days=60))
    assert Action.REVIEW in platform.services.bookings.view(guests[0], bookings[0]).actions
    with pytest.raises(Forbidden):
        platform.services.reviews.write(host, bookings[0], rating=5, comment="")
    for g, booking_id, rating in zip(guests, bookings, (5, 4, 4), strict=True):
        platform.services.reviews.write(g, booking_id, rating=rating, comment="Lovely")
    with pytest.raises(Conflict):
        platform.services.reviews.write(guests[0], bookings[0], rating=1, comment="")
    place = platform.services.listings.details(place_id).place
    assert (place.review_count, str(place.rating_avg)) == (3, "4.33")
    assert Action.REVIEW not in platform.services.bookings.view(guests[0], bookings[0]).actions


def test_a_hold_that_runs_out_while_the_provider_charges_gives_the_money_back(
    platform: InMemoryPlatform, gateway: InMemoryPaymentGateway, clock: FixedClock, host: User, guest: User
) -> None:
    booking_id = booked(platform, guest, listing(platform, host, instant_book=True))
    real_create = gateway.create

    def slow_charge(*args: object, **kwargs: object) -> object:
        clock.advance(timedelta(minutes=16))  # the provider answered after the hold ran out
        return real_create(*args, **kwargs)  # type: ignore[arg-type]

    gateway.create = slow_charge  # type: ignore[method-assign,assignment]
    with pytest.raises(InvalidTransition) as late:
        platform.services.payments.pay(guest, booking_id, "pm_card_visa")
    assert late.value.code == "hold_expired"
    payment = platform.services.payments.payment(guest, booking_id)
    assert (payment.payment_status, payment.refunded_amount) == (PaymentStatus.REFUNDED, TOTAL)
    assert gateway.status(payment.provider_payment_id or "") == ("succeeded", TOTAL)
    assert status(platform, guest, booking_id) is BookingStatus.EXPIRED


def test_a_guest_cancelling_while_the_provider_charges_gets_the_charge_back(
    platform: InMemoryPlatform, gateway: InMemoryPaymentGateway, host: User, guest: User
) -> None:
    booking_id = booked(platform, guest, listing(platform, host, instant_book=True))
    real_create = gateway.create

    def charge_during_a_cancellation(*args: object, **kwargs: object) -> object:
        platform.services.bookings.cancel(guest, booking_id)  # the guest's other tab
        return real_create(*args, **kwargs)  # type: ignore[arg-type]

    gateway.create = charge_during_a_cancellation  # type: ignore[method-assign,assignment]
    with pytest.raises(InvalidTransition) as late:
        platform.services.payments.pay(guest, booking_id, "pm_card_visa")
    assert late.value.code == "invalid_transition"
    payment = platform.services.payments.payment(guest, booking_id)
    assert (payment.payment_status, payment.refunded_amount) == (PaymentStatus.REFUNDED, TOTAL)
    assert status(platform, guest, booking_id) is BookingStatus.CANCELLED


class DyingGateway(InMemoryPaymentGateway):
    """The provider charges, then our process dies before recording it."""

    dying = True

    def create(self, *args: Any, **kwargs: Any) -> Any:
        answer = super().create(*args, **kwargs)
        if self.dying:
            raise KeyboardInterrupt("the process died before its commit")
        return answer


def test_reconciliation_confirms_a_charge_whose_commit_never_happened(clock: FixedClock) -> None:
    gateway = DyingGateway()
    platform = in_memory_platform(clock=clock, gateway=gateway, hasher=ScryptPasswordHasher(n=2**8))
    host, guest = person(platform, "hana", host=True), person(platform, "ana")
    booking_id = booked(platform, guest, listing(platform, host, instant_book=True))
    with pytest.raises(KeyboardInterrupt):
        platform.services.payments.pay(guest, booking_id, "pm_card_visa")
    gateway.dying = False
    assert platform.services.payments.reconcile() == 0  # not a minute old: it may still be under way

    clock.advance(timedelta(minutes=2))
    assert platform.services.payments.reconcile() == 1
    assert status(platform, guest, booking_id) is BookingStatus.CONFIRMED
    assert len(gateway.intents) == 1  # one charge
    assert platform.services.payments.reconcile() == 0


def test_reconciliation_resumes_an_attempt_the_provider_never_saw(
    platform: InMemoryPlatform, gateway: InMemoryPaymentGateway, clock: FixedClock, host: User, guest: User
) -> None:
    booking_id = booked(platform, guest, listing(platform, host, instant_book=True))
    gateway.unreachable = True
    with pytest.raises(ServiceUnavailable):
        platform.services.payments.pay(guest, booking_id, "pm_card_chargeDeclined")
    clock.advance(timedelta(minutes=2))
    assert platform.services.payments.reconcile() == 0  # still unreachable: the next round tries again
    gateway.unreachable = False
    assert platform.services.payments.reconcile() == 1
    # Declined: the attempt is over and the guest may try another card.
    assert platform.services.payments.payment(guest, booking_id).payment_status is PaymentStatus.FAILED
    assert platform.services.payments.pay(guest, booking_id, "pm_card_visa").payment_status is PaymentStatus.SUCCEEDED


def test_a_capture_for_a_request_that_lapsed_is_given_back_by_reconciliation(
    platform: InMemoryPlatform, gateway: InMemoryPaymentGateway, clock: FixedClock, host: User, guest: User
) -> None:
    booking_id = booked(platform, guest, listing(platform, host, instant_book=False))
    payment = platform.services.payments.pay(guest, booking_id, "pm_card_visa")
    assert payment.provider_payment_id is not None
    gateway.capture(payment.provider_payment_id)  # an approval whose commit failed
    clock.advance(timedelta(days=2))  # and the request ran out meanwhile
    assert platform.services.payments.reconcile() == 1
    recorded = platform.services.payments.payment(guest, booking_id)
    assert (recorded.payment_status, recorded.refunded_amount) == (PaymentStatus.REFUNDED, TOTAL)
    assert gateway.status(payment.provider_payment_id) == ("succeeded", TOTAL)


def test_provider_events_apply_once_and_late_ones_change_nothing(
    platform: InMemoryPlatform, gateway: InMemoryPaymentGateway, host: User, guest: User
) -> None:
    booking_id = booked(platform, guest, listing(platform, host, instant_book=False))
    intent = platform.services.payments.pay(guest, booking_id, "pm_card_visa").provider_payment_id
    assert intent is not None
    gateway.void(intent)
    canceled = ProviderEvent("evt_1", "payment_intent.canceled", intent)
    assert platform.services.payments.apply_provider_event(canceled) is True
    assert platform.services.payments.apply_provider_event(canceled) is False
    late = ProviderEvent("evt_2", "payment_intent.succeeded", intent)
    assert platform.services.payments.apply_provider_event(late) is False
    unknown = ProviderEvent("evt_3", "charge.refunded", "pi_unknown", amount_refunded=100)
    assert platform.services.payments.apply_provider_event(unknown) is False
    assert platform.services.payments.payment(guest, booking_id).payment_status is PaymentStatus.VOIDED
