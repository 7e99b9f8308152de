from __future__ import annotations

from pytest_bdd import parsers, scenarios, then, when

from tests.bdd.conftest import World
from tests.bdd.drivers import Driver
from tests.bdd.listing_steps import *  # noqa: F403 - the shared steps must be in this module's namespace
from tests.bdd.listing_steps import cents, place_fields, place_id

scenarios("listings.feature")


@when(parsers.parse('{host} lists "{title}" in {city} for {price} a night for up to {guests:d} guests'))
def lists(driver: Driver, world: World, host: str, title: str, city: str, price: str, guests: int) -> None:
    fields = place_fields(world, title, city, price_per_night=cents(price), max_guests=guests)
    outcome = driver.list_property(world.person(host).session, fields)
    assert outcome.error is None, outcome
    world.places[title] = outcome.value


@when(parsers.parse('{name} tries to list "{title}" in {city}'))
def tries_to_list(driver: Driver, world: World, name: str, title: str, city: str) -> None:
    world.person(name).last = driver.list_property(world.person(name).session, place_fields(world, title, city))


@when(parsers.parse("{name} tries to list a place at latitude {latitude:d} for {guests:d} guests"))
def tries_to_list_nonsense(driver: Driver, world: World, name: str, latitude: int, guests: int) -> None:
    fields = place_fields(world, "Nowhere", "Lisbon", latitude=float(latitude), max_guests=guests)
    world.person(name).last = driver.list_property(world.person(name).session, fields)


@when(parsers.parse('{name} tries to change the price of "{title}" to {price}'))
def tries_to_reprice(driver: Driver, world: World, name: str, title: str, price: str) -> None:
    changes = {"price_per_night": cents(price)}
    world.person(name).last = driver.update_property(world.person(name).session, place_id(world, title), changes)


@when(parsers.parse('{name} changes the price of "{title}" to {price}'))
def reprices(driver: Driver, world: World, name: str, title: str, price: str) -> None:
    changes = {"price_per_night": cents(price)}
    outcome = driver.update_property(world.person(name).session, place_id(world, title), changes)
    assert outcome.error is None, outcome


@when(parsers.parse('{name} takes "{title}" down'))
def takes_down(driver: Driver, world: World, name: str, title: str) -> None:
    assert driver.take_down(world.person(name).session, place_id(world, title)).error is None


@when(parsers.parse('{name} tries to take "{title}" down'))
def tries_to_take_down(driver: Driver, world: World, name: str, title: str) -> None:
    world.person(name).last = driver.take_down(world.person(name).session, place_id(world, title))


@then(parsers.parse('anyone can see "{title}" with {host} as its host'))
def sees_with_host(driver: Driver, world: World, title: str, host: str) -> None:
    outcome = driver.property_details(place_id(world, title))
    assert outcome.error is None, outcome
    assert (outcome.value["title"], outcome.value["host"]["name"]) == (title, host)


@then(parsers.parse('"{title}" has no reviews yet'))
def no_reviews(driver: Driver, world: World, title: str) -> None:
    details = driver.property_details(place_id(world, title)).value
    assert (details["review_count"], details["rating_avg"]) == (0, None)


@then(parsers.parse('anyone sees "{title}" at {price} a night'))
def sees_price(driver: Driver, world: World, title: str, price: str) -> None:
    assert driver.property_details(place_id(world, title)).value["price_per_night"] == cents(price)


@then(parsers.parse('guests can no longer see "{title}"'))
def cannot_see(driver: Driver, world: World, title: str) -> None:
    assert driver.property_details(place_id(world, title)).error == "not_found"


@then(parsers.parse("{name} is refused because he is not a host"))
def refused_not_host(world: World, name: str) -> None:
    assert world.person(name).last.error == "not_a_host"


@then(parsers.parse('{name} is told that "{first}" and "{second}" are invalid'))
def told_invalid_fields(world: World, name: str, first: str, second: str) -> None:
    last = world.person(name).last
    assert last.error == "invalid_input", last
    assert first in (last.detail or "") and second in (last.detail or "")


@then(parsers.parse("{name} is told the listing still has upcoming bookings"))
def told_upcoming(world: World, name: str) -> None:
    assert world.person(name).last.error == "has_upcoming_bookings"


@then(parsers.parse('the calendar of "{title}" shows it taken from {start:d} to {end:d} days from now'))
def calendar(driver: Driver, world: World, title: str, start: int, end: int) -> None:
    outcome = driver.availability(place_id(world, title), world.days_from_now(0), world.days_from_now(60))
    assert outcome.value == [(world.days_from_now(start), world.days_from_now(end))]
