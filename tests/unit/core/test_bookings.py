import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from airbnb_core.domain.bookings import Action, Booking, BookingStatus, BookingTerms, CancelledBy
from airbnb_core.domain.errors import Conflict, Forbidden, InvalidInput, InvalidTransition
from airbnb_core.domain.payments import Payment, PaymentStatus
from airbnb_core.domain.properties import CancellationPolicy
from airbnb_core.domain.reviews import Review
from airbnb_core.domain.stay import Stay
from airbnb_core.domain.users import User
from tests.builders import a_user
from tests.unit.core.test_pricing_and_stays import a_property

NOW = datetime(2030, 1, 1, 12, tzinfo=UTC)
HOLD = timedelta(minutes=15)
TODAY = NOW.date()


def a_guest() -> User:
    return a_user(name="Gus", created_at=NOW)


def book(**overrides: object) -> Booking:
    args: dict[str, object] = dict(
        guest=a_guest(),
        place=a_property(),
        stay=Stay(date(2030, 2, 1), date(2030, 2, 4)),
        guests=2,
        now=NOW,
        terms=BookingTerms(hold=HOLD, service_fee_rate=Decimal("0.10")),
    )
    args.update(overrides)
    return Booking.request(**args)  # type: ignore[arg-type]


def test_a_new_booking_is_pending_priced_and_held() -> None:
    booking = book()
    assert booking.status is BookingStatus.PENDING
    assert booking.total_price == 35_750
    assert booking.hold_expires_at == NOW + HOLD
    assert booking.blocks_dates(NOW)
    assert not booking.blocks_dates(NOW + HOLD)


def test_booking_rules_are_all_reported() -> None:
    with pytest.raises(InvalidInput) as err:
        book(stay=Stay(date(2029, 12, 1), date(2029, 12, 2)), guests=9, place=a_property(min_nights=2))
    assert {e.field for e in err.value.errors} == {"check_in", "check_out", "guests"}


def test_a_stay_starts_no_earlier_than_today_where_the_property_is() -> None:
    auckland = a_property(timezone="Pacific/Auckland")  # 2030-01-02 01:00 there at NOW
    assert auckland.today(NOW) == date(2030, 1, 2)
    with pytest.raises(InvalidInput) as err:
        book(place=auckland, stay=Stay(date(2030, 1, 1), date(2030, 1, 3)))
    assert [e.field for e in err.value.errors] == ["check_in"]
    assert book(place=auckland, stay=Stay(date(2030, 1, 2), date(2030, 1, 3))).check_in_date == date(2030, 1, 2)


def test_a_request_to_book_waits_for_the_host_as_long_as_the_terms_say() -> None:
    terms, request = BookingTerms(request_window=timedelta(hours=6)), book()
    request.paid(instant_book=False, now=NOW, request_window=terms.request_window)
    assert request.hold_expires_at == NOW + timedelta(hours=6)


def test_hosts_cannot_book_their_own_property() -> None:
    guest = a_guest()
    with pytest.raises(Forbidden):
        book(guest=guest, place=a_property(host_id=guest.id))


def test_inactive_properties_cannot_be_booked() -> None:
    with pytest.raises(Conflict):
        book(place=a_property(is_active=False))


def test_instant_book_payment_confirms_and_request_to_book_waits_for_the_host() -> None:
    instant, request = book(), book()
    instant.paid(instant_book=True, now=NOW)
    request.paid(instant_book=False, now=NOW)
    assert instant.status is BookingStatus.CONFIRMED
    assert request.status is BookingStatus.REQUESTED
    assert request.hold_expires_at == NOW + timedelta(hours=24)
    request.approve(NOW)
    assert request.status is BookingStatus.CONFIRMED


def test_paying_after_the_hold_ended_is_refused() -> None:
    booking = book()
    with pytest.raises(InvalidTransition):
        booking.paid(instant_book=True, now=NOW + HOLD)


def test_only_requests_can_be_declined_and_expired_requests_lapse() -> None:
    booking = book()
    with pytest.raises(InvalidTransition):
        booking.decline(NOW)
    with pytest.raises(InvalidTransition):
        booking.expire(NOW)
    booking.expire(NOW + HOLD)
    assert booking.status is BookingStatus.EXPIRED
    assert not booking.blocks_dates(NOW)


def test_guest_cancellation_refunds_the_policy_share_rounded_half_up() -> None:
    booking = book()
    booking.paid(instant_book=True, now=NOW)
    refund = booking.cancel(CancelledBy.GUEST, policy_refund_percent=50, now=NOW)
    assert refund.amount == 17_875
    assert booking.status is BookingStatus.CANCELLED
    with pytest.raises(InvalidTransition):
        booking.cancel(CancelledBy.GUEST, policy_refund_percent=50, now=NOW)


def test_host_cancellation_refunds_everything_and_uncaptured_bookings_refund_nothing() -> None:
    confirmed, requested = book(), book()
    confirmed.paid(instant_book=True, now=NOW)
    requested.paid(instant_book=False, now=NOW)
    assert confirmed.cancel(CancelledBy.HOST, policy_refund_percent=0, now=NOW).amount == confirmed.total_price
    assert requested.cancel(CancelledBy.GUEST, policy_refund_percent=100, now=NOW).amount == 0


def test_payments_capture_void_and_refund_within_what_was_paid() -> None:
    payment = Payment(uuid.uuid4(), uuid.uuid4(), 1_000, "EUR", "sandbox", "pi_1", "pm_card_visa",
                      PaymentStatus.AUTHORIZED, NOW, NOW)  # fmt: skip
    with pytest.raises(InvalidTransition):
        payment.refunded(100, NOW)
    payment.captured(NOW)
    payment.refunded(400, NOW)
    assert payment.payment_status is PaymentStatus.PARTIALLY_REFUNDED
    with pytest.raises(InvalidTransition):
        payment.refunded(601, NOW)
    payment.refunded(600, NOW)
    assert payment.payment_status is PaymentStatus.REFUNDED
    with pytest.raises(InvalidTransition):
        payment.voided(NOW)


def test_only_the_guest_reviews_a_confirmed_stay_that_is_over() -> None:
    guest = a_guest()
    booking = book(guest=guest)
    after = date(2030, 2, 4)
    with pytest.raises(Conflict):
        Review.write(author=guest, booking=booking, rating=5, comment="", today=after, now=NOW)
    booking.paid(instant_book=True, now=NOW)
    with pytest.raises(Conflict):
        Review.write(author=guest, booking=booking, rating=5, comment="", today=date(2030, 2, 3), now=NOW)
    with pytest.raises(Forbidden):
        Review.write(author=a_guest(), booking=booking, rating=5, comment="", today=after, now=NOW)
    with pytest.raises(InvalidInput):
        Review.write(author=guest, booking=booking, rating=6, comment="x" * 2001, today=after, now=NOW)
    review = Review.write(author=guest, booking=booking, rating=4, comment="Lovely", today=after, now=NOW)
    assert (review.rating, review.property_id) == (4, booking.property_id)


def test_a_lapsed_hold_or_request_reads_as_expired_before_anything_stores_it() -> None:
    pending, requested = book(), book()
    requested.paid(instant_book=False, now=NOW)
    assert pending.status_at(NOW + HOLD - timedelta(seconds=1)) is BookingStatus.PENDING
    assert pending.status_at(NOW + HOLD) is BookingStatus.EXPIRED
    assert requested.status_at(NOW + timedelta(hours=24)) is BookingStatus.EXPIRED
    assert pending.status is BookingStatus.PENDING  # reading changes nothing
    with pytest.raises(InvalidTransition):
        pending.cancel(CancelledBy.GUEST, policy_refund_percent=100, now=NOW + HOLD)


@pytest.mark.parametrize(
    "policy, days, percent",
    [
        (CancellationPolicy.FLEXIBLE, 1, 100), (CancellationPolicy.FLEXIBLE, 0, 0),
        (CancellationPolicy.MODERATE, 5, 100), (CancellationPolicy.MODERATE, 4, 50),
        (CancellationPolicy.MODERATE, 1, 50), (CancellationPolicy.MODERATE, 0, 0),
        (CancellationPolicy.STRICT, 14, 100), (CancellationPolicy.STRICT, 13, 50),
        (CancellationPolicy.STRICT, 7, 50), (CancellationPolicy.STRICT, 6, 0),
    ],
)  # fmt: skip
def test_the_refund_preview_follows_the_policy_band(policy: CancellationPolicy, days: int, percent: int) -> None:
    booking = book()
    booking.paid(instant_book=True, now=NOW)
    today = booking.check_in_date - timedelta(days=days)
    preview = booking.refund_preview(CancelledBy.GUEST, policy, today)
    assert (preview.refund_percent, preview.days_before_check_in, preview.voids_authorization) == (percent, days, False)
    assert preview.refund.amount == booking.total.share(Decimal(percent) / 100).amount
    assert booking.refund_preview(CancelledBy.HOST, policy, today).refund.amount == booking.total_price
    refund = booking.cancel(CancelledBy.GUEST, policy_refund_percent=percent, now=NOW)
    assert (booking.cancelled_by, booking.cancelled_at, booking.refund_amount) == (
        CancelledBy.GUEST,
        NOW,
        refund.amount,
    )


def test_an_unpaid_or_only_authorized_booking_previews_no_refund() -> None:
    pending, requested = book(), book()
    requested.paid(instant_book=False, now=NOW)
    unpaid = pending.refund_preview(CancelledBy.GUEST, CancellationPolicy.FLEXIBLE, TODAY)
    held = requested.refund_preview(CancelledBy.HOST, CancellationPolicy.FLEXIBLE, TODAY)
    assert (unpaid.refund.amount, unpaid.voids_authorization) == (0, False)
    assert (held.refund.amount, held.voids_authorization) == (0, True)


def test_actions_say_what_each_side_may_do_now() -> None:
    booking = book()
    guest_actions = booking.actions(guest=True, host=False, now=NOW, today=TODAY, reviewed=False)
    assert guest_actions == (Action.PAY, Action.CANCEL)
    assert booking.actions(guest=False, host=True, now=NOW, today=TODAY, reviewed=False) == (Action.CANCEL,)
    assert booking.actions(guest=True, host=False, now=NOW + HOLD, today=TODAY, reviewed=False) == ()
    booking.paid(instant_book=False, now=NOW)
    host_actions = booking.actions(guest=False, host=True, now=NOW, today=TODAY, reviewed=False)
    assert host_actions == (Action.CANCEL, Action.APPROVE, Action.DECLINE)
    booking.approve(NOW)
    after_stay = booking.check_out_date
    assert booking.actions(guest=True, host=False, now=NOW, today=after_stay, reviewed=False) == (Action.REVIEW,)
    assert booking.actions(guest=True, host=False, now=NOW, today=after_stay, reviewed=True) == ()
