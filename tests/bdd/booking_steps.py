"""Steps about bookings: pricing a stay, holding it, letting it lapse, cancelling it, listing them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pytest_bdd import given, parsers, then, when

from tests.bdd.conftest import World, time_passes
from tests.bdd.drivers import Driver, Outcome
from tests.bdd.listing_steps import cents, list_place, place_fields, place_id


def stay_of(world: World, booking: dict[str, Any]) -> tuple[int, int]:
    """A booking's stay as days from now, as the scenarios speak of it."""
    return (booking["check_in"] - world.today).days, (booking["check_out"] - world.today).days


def try_to_book(driver: Driver, world: World, name: str, title: str, start: int, end: int) -> Outcome:
    person = world.person(name)
    check_in, check_out = world.days_from_now(start), world.days_from_now(end)
    person.last = driver.book(person.session, place_id(world, title), check_in, check_out, 1)
    if person.last.error is None:
        world.bookings[name] = person.last.value
    return person.last


def booking_of(driver: Driver, world: World, name: str) -> dict[str, Any]:
    outcome = driver.booking(world.person(name).session, world.bookings[name]["id"])
    assert outcome.error is None, outcome
    value: dict[str, Any] = outcome.value
    return value


def taken(driver: Driver, world: World, title: str) -> list[tuple[int, int]]:
    outcome = driver.availability(place_id(world, title), world.days_from_now(0), world.days_from_now(60))
    assert outcome.error is None, outcome
    return [((start - world.today).days, (end - world.today).days) for start, end in outcome.value]


RENTS_OUT = '{host} rents out "{title}" in {city} at {price} a night, '
WITH_FEES = "with a {cleaning} cleaning fee and {discount:d}% off a week"


@given(parsers.parse(RENTS_OUT + WITH_FEES))
def rents_out(driver: Driver, world: World, host: str, title: str, city: str, price: str, cleaning: str,
              discount: int) -> None:  # fmt: skip
    fields = place_fields(
        world,
        title,
        city,
        price_per_night=cents(price),
        cleaning_fee=cents(cleaning),
        weekly_discount_percent=discount,
    )
    list_place(driver, world, host, fields)


@given(parsers.parse('{name} has booked "{title}" from {start:d} to {end:d} days from now'))
@when(parsers.parse('{name} books "{title}" from {start:d} to {end:d} days from now'))
@then(parsers.parse('{name} can book "{title}" from {start:d} to {end:d} days from now'))
def books(driver: Driver, world: World, name: str, title: str, start: int, end: int) -> None:
    outcome = try_to_book(driver, world, name, title, start, end)
    assert outcome.error is None, outcome


@when(parsers.parse('{name} tries to book "{title}" from {start:d} to {end:d} days from now'))
def tries_to_book(driver: Driver, world: World, name: str, title: str, start: int, end: int) -> None:
    try_to_book(driver, world, name, title, start, end)


@when(parsers.parse('{name} asks the price of "{title}" from {start:d} to {end:d} days from now'))
def asks_price(driver: Driver, world: World, name: str, title: str, start: int, end: int) -> None:
    person = world.person(name)
    person.last = driver.quote(place_id(world, title), world.days_from_now(start), world.days_from_now(end), 1)
    assert person.last.error is None, person.last


@then(parsers.parse("{name} is quoted {nights:d} nights for {subtotal} after a {discount} weekly discount"))
def quoted_nights(world: World, name: str, nights: int, subtotal: str, discount: str) -> None:
    quote = world.person(name).last.value
    assert (quote["nights"], quote["nightly_subtotal"], quote["weekly_discount"]) == (
        nights,
        cents(subtotal),
        cents(discount),
    )
    assert quote["available"] is True


@then(parsers.parse("{name} is quoted a {cleaning} cleaning fee, a {service} service fee and {total} in all"))
def quoted_fees(world: World, name: str, cleaning: str, service: str, total: str) -> None:
    quote = world.person(name).last.value
    assert (quote["cleaning_fee"], quote["service_fee"], quote["total_price"]) == (
        cents(cleaning),
        cents(service),
        cents(total),
    )


@then(parsers.re(r"(?P<name>[A-Z]\w*)'s booking costs (?P<total>[\d.]+) and awaits (his|her) payment"))
def awaits_payment(driver: Driver, world: World, name: str, total: str) -> None:
    booking = booking_of(driver, world, name)
    assert booking["total_price"] == cents(total)
    assert booking["status"] == "pending"
    assert "pay" in booking["actions"]


@then(parsers.parse('"{title}" is no longer free from {start:d} to {end:d} days from now'))
def no_longer_free(driver: Driver, world: World, title: str, start: int, end: int) -> None:
    assert taken(driver, world, title) == [(start, end)]


@then(parsers.parse('"{title}" is free again from {start:d} to {end:d} days from now'))
def free_again(driver: Driver, world: World, title: str, start: int, end: int) -> None:
    assert not any(s < end and start < e for s, e in taken(driver, world, title))


@then(parsers.parse('the calendar of "{title}" shows it taken from {start:d} to {end:d} days from now'))
def calendar(driver: Driver, world: World, title: str, start: int, end: int) -> None:
    assert taken(driver, world, title) == [(start, end)]


@then(parsers.parse("{name} is told those dates are already taken"))
def told_taken(world: World, name: str) -> None:
    assert world.person(name).last.error == "booking_conflict", world.person(name).last


@then(parsers.parse("{name} is told hosts cannot book their own place"))
def told_own_place(world: World, name: str) -> None:
    assert world.person(name).last.error == "own_property", world.person(name).last


@given(parsers.re(r"the hold time passes without (?P<name>[A-Z]\w*) paying"))
@when(parsers.re(r"the hold time passes without (?P<name>[A-Z]\w*) paying"))
def hold_passes(driver: Driver, world: World) -> None:
    time_passes(driver, world, timedelta(minutes=15))


@then(parsers.re(r"(?P<name>[A-Z]\w*) sees (his|her) booking as (?P<status>\w+)"))
def sees_status(driver: Driver, world: World, name: str, status: str) -> None:
    assert booking_of(driver, world, name)["status"] == status


@then(parsers.re(r"(?P<name>[A-Z]\w*) sees (his|her) booking as cancelled by the (?P<side>guest|host)"))
def sees_cancelled_by(driver: Driver, world: World, name: str, side: str) -> None:
    booking = booking_of(driver, world, name)
    assert (booking["status"], booking["cancelled_by"]) == ("cancelled", side)
    assert "cancel" not in booking["actions"]


@when(parsers.re(r"(?P<name>[A-Z]\w*) asks what cancelling would give back"))
def asks_refund(driver: Driver, world: World, name: str) -> None:
    person = world.person(name)
    person.last = driver.cancellation_preview(person.session, world.bookings[name]["id"])
    assert person.last.error is None, person.last


@then(parsers.parse("{name} is told nothing would be refunded"))
def nothing_refunded(world: World, name: str) -> None:
    assert world.person(name).last.value["refund_amount"] == 0


@when(parsers.re(r"(?P<name>[A-Z]\w*) cancels (his|her) booking"))
def cancels(driver: Driver, world: World, name: str) -> None:
    outcome = driver.cancel(world.person(name).session, world.bookings[name]["id"])
    assert outcome.error is None, outcome


@when(parsers.re(r"(?P<name>[A-Z]\w*) tries to cancel (his|her) booking again"))
def cancels_again(driver: Driver, world: World, name: str) -> None:
    person = world.person(name)
    person.last = driver.cancel(person.session, world.bookings[name]["id"])


@then(parsers.parse("{name} is told the booking can no longer be cancelled"))
def told_cannot_cancel(world: World, name: str) -> None:
    assert world.person(name).last.error == "invalid_transition", world.person(name).last


@then(
    parsers.re(
        r"(?P<name>[A-Z]\w*)'s bookings are only (his|her) stay from (?P<start>\d+) to (?P<end>\d+) days from now"
    )
)
def own_bookings(driver: Driver, world: World, name: str, start: str, end: str) -> None:
    person = world.person(name)
    outcome = driver.bookings(person.session)
    assert outcome.error is None, outcome
    assert [(b["user_id"], stay_of(world, b)) for b in outcome.value] == [(person.user_id, (int(start), int(end)))]


@then(parsers.re(r"(?P<name>[A-Z]\w*) sees both stays on (his|her) places"))
def host_bookings(driver: Driver, world: World, name: str) -> None:
    outcome = driver.bookings(world.person(name).session, as_host=True)
    assert outcome.error is None, outcome
    expected = sorted(stay_of(world, b) for b in world.bookings.values())
    assert sorted(stay_of(world, b) for b in outcome.value) == expected
