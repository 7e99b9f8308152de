"""Steps about reviews: a finished stay, rating it, and the place's rating that follows."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from pytest_bdd import given, parsers, then, when

from tests.bdd.booking_steps import booking_of, try_to_book
from tests.bdd.conftest import World, time_passes
from tests.bdd.drivers import Driver, Outcome
from tests.bdd.listing_steps import place_id
from tests.bdd.payment_steps import NAME, pay, told


def rate(driver: Driver, world: World, name: str, guest: str, rating: str, comment: str | None) -> Outcome:
    person = world.person(name)
    person.last = driver.review(person.session, world.bookings[guest]["id"], int(rating), comment or "")
    return person.last


def rated(driver: Driver, world: World, title: str) -> tuple[Decimal | None, int]:
    outcome = driver.property_details(place_id(world, title))
    assert outcome.error is None, outcome
    average = outcome.value["rating_avg"]
    return (None if average is None else Decimal(str(average))), outcome.value["review_count"]


@given(parsers.re(rf'(?P<name>{NAME}) has paid for a stay at "(?P<title>[^"]+)" '
                  r"from (?P<start>\d+) to (?P<end>\d+) days from now"))  # fmt: skip
def has_paid_for_a_stay(driver: Driver, world: World, name: str, title: str, start: str, end: str) -> None:
    booked = try_to_book(driver, world, name, title, int(start), int(end))
    assert booked.error is None, booked
    paid = pay(driver, world, name, name, "Visa card")
    assert paid.error is None, paid
    assert booking_of(driver, world, name)["status"] == "confirmed"


@given(parsers.re(r"(?P<days>\d+) days have passed"))
def days_have_passed(driver: Driver, world: World, days: str) -> None:
    time_passes(driver, world, timedelta(days=int(days)))


@when("another day passes")
def another_day(driver: Driver, world: World) -> None:
    time_passes(driver, world, timedelta(days=1))


@given(parsers.re(rf"(?P<name>{NAME}) has rated (his|her) stay (?P<rating>\d+) stars?"))
@when(parsers.re(rf'(?P<name>{NAME}) rates (his|her) stay (?P<rating>\d+) stars?(, saying "(?P<comment>[^"]*)")?'))
def rates(driver: Driver, world: World, name: str, rating: str, comment: str | None = None) -> None:
    outcome = rate(driver, world, name, name, rating, comment)
    assert outcome.error is None, outcome


@when(parsers.re(rf"(?P<name>{NAME}) tries to rate (his|her) stay (?P<rating>-?\d+) stars?"))
def tries_to_rate(driver: Driver, world: World, name: str, rating: str) -> None:
    rate(driver, world, name, name, rating, None)


@when(parsers.re(rf"(?P<name>{NAME}) tries to rate (?P<guest>{NAME})'s stay (?P<rating>\d+) stars?"))
def tries_to_rate_for(driver: Driver, world: World, name: str, guest: str, rating: str) -> None:
    rate(driver, world, name, guest, rating, None)


@then(parsers.re(rf'(?P<name>{NAME})\'s review of "(?P<title>[^"]+)" reads '
                 r'(?P<rating>\d+) stars?, "(?P<comment>[^"]*)"'))  # fmt: skip
def review_reads(world: World, name: str, title: str, rating: str, comment: str) -> None:
    person = world.person(name)
    review = person.last.value
    assert (review["rating"], review["comment"]) == (int(rating), comment)
    assert (review["user_id"], review["property_id"]) == (person.user_id, place_id(world, title))
    assert review["booking_id"] == world.bookings[name]["id"]


@then(parsers.re(r'"(?P<title>[^"]+)" is rated (?P<average>[\d.]+) from (?P<count>\d+) reviews?'))
def is_rated(driver: Driver, world: World, title: str, average: str, count: str) -> None:
    assert rated(driver, world, title) == (Decimal(average), int(count))


@then(parsers.re(r'"(?P<title>[^"]+)" has no reviews yet'))
def no_reviews(driver: Driver, world: World, title: str) -> None:
    assert rated(driver, world, title) == (None, 0)


@then(parsers.re(rf"(?P<name>{NAME}) is told the stay is not over yet"))
def told_not_over(world: World, name: str) -> None:
    told(world, name, "stay_not_over")


@then(parsers.re(rf"(?P<name>{NAME}) is told (he|she) has already reviewed this stay"))
def told_already(world: World, name: str) -> None:
    told(world, name, "already_reviewed")


@then(parsers.re(rf"(?P<name>{NAME}) is told the rating must be from 1 to 5"))
def told_rating_range(world: World, name: str) -> None:
    told(world, name, "invalid_input")
    assert "rating" in (world.person(name).last.detail or ""), world.person(name).last
