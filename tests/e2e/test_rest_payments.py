"""The whole stay over real HTTP on the sandbox provider, on both databases: pay, approve or decline,
cancel with a refund, lapse, review — and the races between two clients deciding one booking."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from adapters.payments.sandbox import payment_intents
from airbnb_core.inmemory import FixedClock
from tests.support.concurrency import race
from tests.support.members import Member, member
from tests.support.stack import LiveServer, served_on

# The servers' clock: tests move it forward only (the request limiter's state would otherwise lie in the
# future), so every date is taken relative to it.
CLOCK = FixedClock(datetime.now(UTC).replace(microsecond=0))


def in_a_month() -> date:
    return CLOCK.now().date() + timedelta(days=30)


LISTING = {
    "title": "Dune hut", "location": "1 Beach Road", "city": "Knokke", "country": "BE", "latitude": 51.35,
    "longitude": 3.28, "price_per_night": 10_000, "currency": "EUR", "cleaning_fee": 2_000, "max_guests": 3,
    "cancellation_policy": "moderate",
}  # fmt: skip
TOTAL = 3 * 10_000 + 2_000 + 3_200  # three nights, cleaning, 10% service fee


@pytest.fixture(scope="module")
def clock() -> FixedClock:
    return CLOCK


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
def server(
    request: pytest.FixtureRequest,
    make_postgres_database: Callable[[], str],
    tmp_path_factory: pytest.TempPathFactory,
    clock: FixedClock,
) -> Iterator[LiveServer]:
    with served_on(request.param, make_postgres_database, tmp_path_factory.mktemp("pay"), clock=clock) as running:
        yield running


@pytest.fixture
def host(api: httpx.Client) -> Member:
    return member(api, host=True)


def listing(api: httpx.Client, host: Member, **changes: Any) -> str:
    created = api.post("/properties", json={**LISTING, **changes}, headers=host)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def booking(api: httpx.Client, guest: dict[str, str], place: str, *, after: int = 0) -> str:
    check_in = in_a_month() + timedelta(days=after)
    body = {"property_id": place, "guests": 1, "check_in": str(check_in), "check_out": str(check_in + timedelta(3))}
    created = api.post("/bookings", json=body, headers=guest)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def pay(api: httpx.Client, guest: dict[str, str], booking_id: str, method: str = "pm_card_visa") -> httpx.Response:
    return api.post(f"/bookings/{booking_id}/payments", json={"payment_method": method}, headers=guest)


def intent_of(server: LiveServer, provider_payment_id: str) -> sa.Row[Any]:
    with server.container.engine().connect() as connection:
        query = sa.select(payment_intents).where(payment_intents.c.id == provider_payment_id)
        return connection.execute(query).one()


def test_a_whole_instant_stay_pay_then_cancel_with_the_policy_refund(
    api: httpx.Client, server: LiveServer, host: Member
) -> None:
    guest, place = member(api), listing(api, host, instant_book=True)
    booking_id = booking(api, guest, place, after=0)  # 30 days ahead: moderate refunds all
    paid = pay(api, guest, booking_id)
    assert paid.status_code == 201, paid.text
    payment = paid.json()
    assert (payment["payment_status"], payment["amount"], payment["provider"]) == ("succeeded", TOTAL, "sandbox")
    seen = api.get(f"/bookings/{booking_id}", headers=guest).json()
    assert (seen["status"], seen["actions"]) == ("confirmed", ["cancel"])
    assert api.get(f"/bookings/{booking_id}/payment", headers=host).json() == payment
    assert api.get(f"/bookings/{booking_id}/payment", headers=member(api)).status_code == 404
    again = pay(api, guest, booking_id)
    assert (again.status_code, again.json()["code"]) == (409, "invalid_transition")

    preview = api.get(f"/bookings/{booking_id}/cancellation", headers=guest).json()
    assert (preview["refund_amount"], preview["refund_percent"]) == (TOTAL, 100)
    cancelled = api.post(f"/bookings/{booking_id}/cancel", headers=guest)
    assert cancelled.status_code == 200, cancelled.text
    assert (cancelled.json()["status"], cancelled.json()["refund_amount"]) == ("cancelled", TOTAL)
    after = api.get(f"/bookings/{booking_id}/payment", headers=guest).json()
    assert (after["payment_status"], after["refunded_amount"]) == ("refunded", TOTAL)
    intent = intent_of(server, payment["provider_payment_id"])
    assert (intent.status, intent.amount_captured, intent.amount_refunded) == ("succeeded", TOTAL, TOTAL)


def test_a_guest_cancelling_inside_the_moderate_window_gets_half(api: httpx.Client, host: Member) -> None:
    guest, place = member(api), listing(api, host, instant_book=True)
    booking_id = booking(api, guest, place, after=-27)  # three days ahead
    assert pay(api, guest, booking_id).status_code == 201
    cancelled = api.post(f"/bookings/{booking_id}/cancel", headers=guest).json()
    half = int((Decimal(TOTAL) / 2).quantize(Decimal(1), ROUND_HALF_UP))
    assert cancelled["refund_amount"] == half
    assert api.get(f"/bookings/{booking_id}/payment", headers=guest).json()["payment_status"] == "partially_refunded"


@pytest.mark.parametrize(
    ("method", "code"),
    [
        ("pm_card_chargeDeclined", "card_declined"),
        ("pm_card_chargeDeclinedInsufficientFunds", "card_declined"),
        ("pm_card_authenticationRequired", "authentication_required"),
    ],
)
def test_a_declined_card_answers_402_and_the_guest_may_try_another(
    api: httpx.Client, host: Member, method: str, code: str
) -> None:
    guest, place = member(api), listing(api, host, instant_book=True)
    booking_id = booking(api, guest, place)
    declined = pay(api, guest, booking_id, method)
    assert (declined.status_code, declined.json()["code"]) == (402, code)
    assert declined.headers["content-type"].startswith("application/problem+json")
    seen = api.get(f"/bookings/{booking_id}", headers=guest).json()
    assert (seen["status"], seen["actions"]) == ("pending", ["pay", "cancel"])
    assert pay(api, guest, booking_id, "pm_card_mastercard").status_code == 201


def test_payment_input_is_checked_and_never_carries_an_amount(api: httpx.Client, host: Member) -> None:
    guest, place = member(api), listing(api, host, instant_book=True)
    booking_id = booking(api, guest, place)
    for body in (
        {"payment_method": "pm_card_visa", "amount": 1},
        {"payment_method": ""},
        {"payment_method": "pm_card_visa\u0000"},
        {"payment_method": "x" * 256},
        {"payment_method": "4242424242424242"},
        {},
    ):
        refused = api.post(f"/bookings/{booking_id}/payments", json=body, headers=guest)
        assert refused.status_code == 422, (body, refused.text)
    unknown = pay(api, guest, booking_id, "pm_card_unknown")
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "payment_method"
    assert pay(api, host, booking_id).status_code == 403
    assert pay(api, member(api), booking_id).status_code == 404
    assert pay(api, guest, str(uuid.uuid4())).status_code == 404
    assert pay(api, guest, booking_id).status_code == 201


def test_request_to_book_waits_for_the_host_who_approves(api: httpx.Client, server: LiveServer, host: Member) -> None:
    guest, place = member(api), listing(api, host, instant_book=False)
    booking_id = booking(api, guest, place)
    payment = pay(api, guest, booking_id).json()
    assert payment["payment_status"] == "authorized"
    seen = api.get(f"/bookings/{booking_id}", headers=host).json()
    assert (seen["status"], seen["actions"]) == ("requested", ["cancel", "approve", "decline"])
    assert api.post(f"/bookings/{booking_id}/approve", headers=guest).status_code == 403
    approved = api.post(f"/bookings/{booking_id}/approve", headers=host)
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "confirmed"
    assert api.get(f"/bookings/{booking_id}/payment", headers=guest).json()["payment_status"] == "succeeded"
    assert intent_of(server, payment["provider_payment_id"]).status == "succeeded"


def test_a_declined_request_releases_the_card_and_an_unanswered_one_lapses(
    api: httpx.Client, server: LiveServer, host: Member, clock: FixedClock
) -> None:
    guest, place = member(api), listing(api, host, instant_book=False)
    declined_id, lapsing_id = booking(api, guest, place), booking(api, guest, place, after=10)
    declined_payment, lapsing_payment = pay(api, guest, declined_id).json(), pay(api, guest, lapsing_id).json()
    declined = api.post(f"/bookings/{declined_id}/decline", headers=host)
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    assert intent_of(server, declined_payment["provider_payment_id"]).status == "canceled"

    clock.advance(timedelta(hours=24))
    guest.log_in_again(), host.log_in_again()
    assert api.get(f"/bookings/{lapsing_id}", headers=guest).json()["status"] == "expired"
    late = api.post(f"/bookings/{lapsing_id}/approve", headers=host)
    assert (late.status_code, late.json()["code"]) == (409, "invalid_transition")
    server.container.services().bookings.expire_lapsed()  # what the server's periodic sweep runs
    assert intent_of(server, lapsing_payment["provider_payment_id"]).status == "canceled"
    assert api.get(f"/bookings/{lapsing_id}/payment", headers=guest).json()["payment_status"] == "voided"


def test_approve_and_decline_racing_make_one_decision(api: httpx.Client, server: LiveServer, host: Member) -> None:
    place = listing(api, host, instant_book=False)
    for n in range(4):
        guest = member(api)
        booking_id = booking(api, guest, place, after=5 * n)
        payment = pay(api, guest, booking_id).json()
        outcomes = race(
            [
                lambda a=action, b=booking_id: api.post(f"/bookings/{b}/{a}", headers=host)
                for action in ("approve", "decline")
            ]
        )
        statuses = sorted(o.status_code for o in outcomes if isinstance(o, httpx.Response))
        assert statuses == [200, 409], outcomes
        final = api.get(f"/bookings/{booking_id}", headers=host).json()["status"]
        intent = intent_of(server, payment["provider_payment_id"]).status
        assert (final, intent) in {("confirmed", "succeeded"), ("declined", "canceled")}


def test_two_cancellations_racing_refund_once(api: httpx.Client, server: LiveServer, host: Member) -> None:
    place = listing(api, host, instant_book=True)
    for n in range(3):
        guest = member(api)
        booking_id = booking(api, guest, place, after=5 * n)
        payment = pay(api, guest, booking_id).json()
        outcomes = race(
            [lambda w=who, b=booking_id: api.post(f"/bookings/{b}/cancel", headers=w) for who in (guest, host)]
        )
        statuses = sorted(o.status_code for o in outcomes if isinstance(o, httpx.Response))
        assert statuses == [200, 409], outcomes
        refunded = api.get(f"/bookings/{booking_id}/payment", headers=guest).json()["refunded_amount"]
        assert refunded == TOTAL  # 30+ days ahead: guest and host both refund everything
        assert intent_of(server, payment["provider_payment_id"]).amount_refunded == TOTAL


def test_twenty_guests_reviewing_at_once_keep_the_rating_exact(
    api: httpx.Client, host: Member, clock: FixedClock
) -> None:
    place = listing(api, host, instant_book=True)
    guests = [member(api) for _ in range(20)]
    stays = [booking(api, guest, place, after=3 * n) for n, guest in enumerate(guests)]
    for guest, booking_id in zip(guests, stays, strict=True):
        assert pay(api, guest, booking_id).status_code == 201
    early = api.post(f"/bookings/{stays[0]}/reviews", json={"rating": 5}, headers=guests[0])
    assert (early.status_code, early.json()["code"]) == (409, "stay_not_over")
    clock.advance(timedelta(days=95))
    for someone in (host, *guests):
        someone.log_in_again()
    ratings = [1 + n % 5 for n in range(19)] + [4]
    outcomes = race(
        [
            lambda g=guest, b=booking_id, r=rating: api.post(
                f"/bookings/{b}/reviews", json={"rating": r, "comment": "Fine\nplace"}, headers=g
            )
            for guest, booking_id, rating in zip(guests, stays, ratings, strict=True)
        ]
    )
    assert [o.status_code for o in outcomes if isinstance(o, httpx.Response)] == [201] * 20, outcomes
    details = api.get(f"/properties/{place}").json()
    expected = (Decimal(sum(ratings)) / 20).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert (details["review_count"], Decimal(str(details["rating_avg"]))) == (20, expected)
    twice = api.post(f"/bookings/{stays[0]}/reviews", json={"rating": 5}, headers=guests[0])
    assert (twice.status_code, twice.json()["code"]) == (409, "already_reviewed")
    assert api.post(f"/bookings/{stays[1]}/reviews", json={"rating": 5}, headers=host).status_code == 403
    for bad in ({"rating": 0}, {"rating": 6}, {"rating": 5, "comment": "x" * 2001}, {"rating": 5, "comment": "\u0000"}):
        assert api.post(f"/bookings/{stays[1]}/reviews", json=bad, headers=guests[1]).status_code == 422, bad
    listed = api.get(f"/properties/{place}/reviews", params={"limit": 100}).json()["items"]
    assert len(listed) == 20


def test_a_review_waits_for_the_end_of_the_stay_where_the_property_is(
    api: httpx.Client, host: Member, clock: FixedClock
) -> None:
    # Kiritimati is UTC+14: the check-out day begins there at 10:00 UTC on the day before.
    guest, place = member(api), listing(api, host, instant_book=True, timezone="Pacific/Kiritimati")
    eve_of_check_out = in_a_month() + timedelta(days=2)
    booking_id = booking(api, guest, place)
    assert pay(api, guest, booking_id).status_code == 201
    clock.set(datetime.combine(eve_of_check_out, time(9, 59), tzinfo=UTC))
    guest.log_in_again()
    early = api.post(f"/bookings/{booking_id}/reviews", json={"rating": 4}, headers=guest)
    assert (early.status_code, early.json()["code"]) == (409, "stay_not_over")
    assert "review" not in api.get(f"/bookings/{booking_id}", headers=guest).json()["actions"]
    clock.set(datetime.combine(eve_of_check_out, time(10, 0), tzinfo=UTC))
    assert api.get(f"/bookings/{booking_id}", headers=guest).json()["actions"] == ["review"]
    review = api.post(f"/bookings/{booking_id}/reviews", json={"rating": 4, "comment": "  Calm  "}, headers=guest)
    assert review.status_code == 201, review.text
    assert (review.json()["rating"], review.json()["comment"], review.json()["booking_id"]) == (4, "Calm", booking_id)


def test_a_payment_retried_with_its_idempotency_key_is_answered_again_not_charged_again(
    api: httpx.Client, server: LiveServer, host: Member
) -> None:
    guest, place = member(api), listing(api, host, instant_book=True)
    booking_id = booking(api, guest, place)
    key = {**guest, "Idempotency-Key": f"pay-{booking_id}"}
    declined = api.post(
        f"/bookings/{booking_id}/payments", json={"payment_method": "pm_card_chargeDeclined"}, headers=key
    )
    replayed = api.post(
        f"/bookings/{booking_id}/payments", json={"payment_method": "pm_card_chargeDeclined"}, headers=key
    )
    assert (declined.status_code, replayed.status_code, replayed.content) == (402, 402, declined.content)
    other = api.post(f"/bookings/{booking_id}/payments", json={"payment_method": "pm_card_visa"}, headers=key)
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")

    retry = {**guest, "Idempotency-Key": f"pay-again-{booking_id}"}
    outcomes = race(
        [
            lambda: api.post(f"/bookings/{booking_id}/payments", json={"payment_method": "pm_card_visa"}, headers=retry)
            for _ in range(10)
        ]
    )
    responses = [o for o in outcomes if isinstance(o, httpx.Response)]
    assert [r.status_code for r in responses] == [201] * 10, outcomes
    assert len({r.content for r in responses}) == 1
    with server.container.engine().connect() as connection:
        mine = payment_intents.c.idempotency_key.startswith(f"booking-{booking_id}-")
        # The server's clock stands still in these tests: both intents can share a created_at, and the
        # attempt number in the key (booking-<id>-payment-<n>) orders them.
        ordered = sa.select(payment_intents.c.status).where(mine).order_by("created_at", "idempotency_key")
        attempts = connection.execute(ordered)
        assert [row.status for row in attempts] == ["failed", "succeeded"]  # the decline, then one charge
    assert api.get(f"/bookings/{booking_id}", headers=guest).json()["status"] == "confirmed"
