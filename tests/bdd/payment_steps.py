"""Steps about money: places booked instantly or on request, paying with the sandbox's test cards, the host's
answer, and what a cancellation gives back."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pytest_bdd import given, parsers, then, when

from tests.bdd.booking_steps import booking_of
from tests.bdd.conftest import World, time_passes
from tests.bdd.drivers import Driver, Outcome
from tests.bdd.listing_steps import cents, list_place, place_fields, place_id

NAME = r"[A-Z]\w*"

# The cards a guest may hold, as the scenarios speak of them: Stripe's test payment methods.
CARDS = {
    "Visa card": "pm_card_visa",
    "Mastercard": "pm_card_mastercard",
    "a card the bank declines": "pm_card_chargeDeclined",
    "a card with too little money on it": "pm_card_chargeDeclinedInsufficientFunds",
    "a card the bank wants him to confirm": "pm_card_authenticationRequired",
    "a card the bank wants her to confirm": "pm_card_authenticationRequired",
}

KIRITIMATI = {"country": "KI", "timezone": "Pacific/Kiritimati"}


def card(written: str) -> str:
    return CARDS[written.removeprefix("his ").removeprefix("her ")]


def pay(driver: Driver, world: World, name: str, owner: str, written_card: str) -> Outcome:
    person = world.person(name)
    person.last = driver.pay(person.session, world.bookings[owner]["id"], card(written_card))
    return person.last


def payment_of(driver: Driver, world: World, viewer: str, guest: str) -> dict[str, Any]:
    outcome = driver.payment(world.person(viewer).session, world.bookings[guest]["id"])
    assert outcome.error is None, outcome
    value: dict[str, Any] = outcome.value
    return value


def told(world: World, name: str, code: str) -> None:
    assert world.person(name).last.error == code, world.person(name).last


@given(parsers.re(rf'(?P<host>{NAME}) rents out "(?P<title>[^"]+)" in (?P<city>\w+) at (?P<price>[\d.]+) a night, '
                  r"(?P<how>booked instantly|on request)"))  # fmt: skip
def rents_out_simply(driver: Driver, world: World, host: str, title: str, city: str, price: str, how: str) -> None:
    fields = place_fields(world, title, city, price_per_night=cents(price), instant_book=how == "booked instantly")
    list_place(driver, world, host, fields)


@given(parsers.re(rf'(?P<host>{NAME}) rents out "(?P<title>[^"]+)" on Kiritimati at (?P<price>[\d.]+) a night, '
                  r"booked instantly with a (?P<policy>\w+) cancellation policy"))  # fmt: skip
def rents_out_on_kiritimati(driver: Driver, world: World, host: str, title: str, price: str, policy: str) -> None:
    fields = place_fields(world, title, "Kiritimati", price_per_night=cents(price), instant_book=True,
                          cancellation_policy=policy, **KIRITIMATI)  # fmt: skip
    list_place(driver, world, host, fields)


@given("it is already tomorrow on Kiritimati while still today in Lisbon")
def noon_in_lisbon(driver: Driver, world: World) -> None:
    """Noon UTC: 12:00 or 13:00 in Lisbon, 02:00 the next day on Kiritimati (UTC+14)."""
    now = driver.now()
    noon = now.replace(hour=12, minute=0, second=0, microsecond=0)
    time_passes(driver, world, (noon if noon > now else noon + timedelta(days=1)) - now)
    now = driver.now()
    lisbon, kiritimati = (now.astimezone(ZoneInfo(zone)).date() for zone in ("Europe/Lisbon", "Pacific/Kiritimati"))
    assert kiritimati == lisbon + timedelta(days=1)


@given(parsers.re(rf'(?P<name>{NAME}) has paid (?P<total>[\d.]+) for a night at "(?P<title>[^"]+)" '
                  r"(?P<days>\d+) days from now, as the days go on Kiritimati"))  # fmt: skip
def has_paid_a_night(driver: Driver, world: World, name: str, total: str, title: str, days: str) -> None:
    person = world.person(name)
    check_in = driver.now().astimezone(ZoneInfo(KIRITIMATI["timezone"])).date() + timedelta(days=int(days))
    booked = driver.book(person.session, place_id(world, title), check_in, check_in + timedelta(days=1), 1)
    assert booked.error is None, booked
    assert booked.value["total_price"] == cents(total)
    world.bookings[name] = booked.value
    assert pay(driver, world, name, name, "Visa card").error is None, person.last
    assert booking_of(driver, world, name)["status"] == "confirmed"


@given(parsers.re(rf"(?P<name>{NAME}) has paid for (his|her) booking with (?P<written>.+)"))
@when(parsers.re(rf"(?P<name>{NAME}) pays for (his|her) booking with (?P<written>.+)"))
def pays(driver: Driver, world: World, name: str, written: str) -> None:
    outcome = pay(driver, world, name, name, written)
    assert outcome.error is None, outcome


@when(parsers.re(rf"(?P<name>{NAME}) tries to pay for (his|her) booking with (?P<written>.+)"))
def tries_to_pay(driver: Driver, world: World, name: str, written: str) -> None:
    pay(driver, world, name, name, written)


@when(parsers.re(rf"(?P<name>{NAME}) tries to pay for (?P<owner>{NAME})'s booking with (?P<written>.+)"))
def tries_to_pay_for(driver: Driver, world: World, name: str, owner: str, written: str) -> None:
    pay(driver, world, name, owner, written)


@then(parsers.re(rf"(?P<name>{NAME})'s card is charged (?P<amount>[\d.]+)"))
def charged(driver: Driver, world: World, name: str, amount: str) -> None:
    payment = payment_of(driver, world, name, name)
    assert (payment["payment_status"], payment["amount"], payment["refunded_amount"]) == ("succeeded", cents(amount), 0)


@then(parsers.re(rf"(?P<viewer>{NAME}) sees that (?P<name>{NAME})'s card is charged (?P<amount>[\d.]+)"))
def sees_charged(driver: Driver, world: World, viewer: str, name: str, amount: str) -> None:
    payment = payment_of(driver, world, viewer, name)
    assert (payment["payment_status"], payment["amount"]) == ("succeeded", cents(amount))
    assert payment == payment_of(driver, world, name, name)


@then(parsers.re(rf"(?P<name>{NAME})'s card is held for (?P<amount>[\d.]+) but not charged"))
def held(driver: Driver, world: World, name: str, amount: str) -> None:
    payment = payment_of(driver, world, name, name)
    assert (payment["payment_status"], payment["amount"]) == ("authorized", cents(amount))


@then(parsers.re(rf"(?P<name>{NAME})'s card is released"))
def released(driver: Driver, world: World, name: str) -> None:
    payment = payment_of(driver, world, name, name)
    assert (payment["payment_status"], payment["refunded_amount"]) == ("voided", 0)


@when(parsers.re(rf"(?P<host>{NAME}) (?P<answer>accepts|turns down) (?P<guest>{NAME})'s booking"))
def answers(driver: Driver, world: World, host: str, answer: str, guest: str) -> None:
    decide = driver.approve if answer == "accepts" else driver.decline
    outcome = decide(world.person(host).session, world.bookings[guest]["id"])
    assert outcome.error is None, outcome


@when(parsers.re(rf"(?P<host>{NAME}) tries to accept (?P<guest>{NAME})'s booking"))
def tries_to_accept(driver: Driver, world: World, host: str, guest: str) -> None:
    person = world.person(host)
    person.last = driver.approve(person.session, world.bookings[guest]["id"])


@when(parsers.re(rf"a day passes without (?P<host>{NAME}) answering"))
def a_day_unanswered(driver: Driver, world: World) -> None:
    time_passes(driver, world, timedelta(hours=24))


@then(parsers.re(rf"(?P<name>{NAME}) is told (his|her) card was declined"))
def told_declined(world: World, name: str) -> None:
    told(world, name, "card_declined")


@then(parsers.re(rf"(?P<name>{NAME}) is told (his|her) bank needs (him|her) to confirm the payment"))
def told_to_confirm(world: World, name: str) -> None:
    told(world, name, "authentication_required")


@then(parsers.re(rf"(?P<name>{NAME}) is told there is no such booking"))
def told_no_booking(world: World, name: str) -> None:
    told(world, name, "not_found")


@then(parsers.re(rf"(?P<name>{NAME}) is told the booking can no longer be paid"))
def told_cannot_pay(world: World, name: str) -> None:
    told(world, name, "invalid_transition")


@then(parsers.re(rf"(?P<name>{NAME}) is told (his|her) hold on those nights has lapsed"))
def told_hold_lapsed(world: World, name: str) -> None:
    told(world, name, "hold_expired")


@then(parsers.re(rf"(?P<name>{NAME}) is told the request can no longer be answered"))
def told_cannot_answer(world: World, name: str) -> None:
    told(world, name, "invalid_transition")


@when(parsers.re(rf"(?P<name>{NAME}) asks what cancelling (?P<guest>{NAME})'s booking would give back"))
def asks_refund_of(driver: Driver, world: World, name: str, guest: str) -> None:
    person = world.person(name)
    person.last = driver.cancellation_preview(person.session, world.bookings[guest]["id"])
    assert person.last.error is None, person.last


@then(parsers.re(rf"(?P<name>{NAME}) is told (?P<amount>[\d.]+) would be refunded"))
def told_refund(world: World, name: str, amount: str) -> None:
    assert world.person(name).last.value["refund_amount"] == cents(amount), world.person(name).last


@when(parsers.re(rf"(?P<name>{NAME}) cancels (?P<guest>{NAME})'s booking"))
def cancels_for(driver: Driver, world: World, name: str, guest: str) -> None:
    outcome = driver.cancel(world.person(name).session, world.bookings[guest]["id"])
    assert outcome.error is None, outcome


@then(parsers.re(rf"(?P<name>{NAME}) gets (?P<amount>[\d.]+) back on (his|her) card"))
def refunded(driver: Driver, world: World, name: str, amount: str) -> None:
    assert booking_of(driver, world, name)["refund_amount"] == cents(amount)
    payment = payment_of(driver, world, name, name)
    assert payment["refunded_amount"] == cents(amount)
    expected = {0: "succeeded", payment["amount"]: "refunded"}.get(cents(amount), "partially_refunded")
    assert payment["payment_status"] == expected
