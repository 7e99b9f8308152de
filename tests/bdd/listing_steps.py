"""Steps about places: listing them, booking their dates, searching them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pytest_bdd import given, parsers, then, when

from tests.bdd.conftest import World, sign_up
from tests.bdd.drivers import Driver

COORDINATES = {
    "Lisbon": (38.7223, -9.1393),
    "Porto": (41.1579, -8.6291),
    "Faro": (37.0194, -7.9304),
    "Kiritimati": (1.8721, -157.4278),
}


def cents(amount: str) -> int:
    return int(Decimal(amount) * 100)


def place_fields(world: World, title: str, city: str, **overrides: Any) -> dict[str, Any]:
    latitude, longitude = COORDINATES[city]
    fields: dict[str, Any] = {
        "title": title,
        "description": f"A lovely place in {city}.",
        "location": f"1 Main Street, {city}",
        "city": world.city(city),
        "country": "PT",
        "latitude": latitude,
        "longitude": longitude,
        "timezone": "Europe/Lisbon",
        "price_per_night": 10_000,
        "currency": "EUR",
        "max_guests": 2,
    }
    fields.update(overrides)
    return fields


def list_place(driver: Driver, world: World, host: str, fields: dict[str, Any]) -> None:
    outcome = driver.list_property(world.person(host).session, fields)
    assert outcome.error is None, outcome
    world.places[fields["title"]] = outcome.value


def place_id(world: World, title: str) -> str:
    return str(world.places[title]["id"])


@given(parsers.parse('{host} has listed "{title}" in {city}'))
def has_listed(driver: Driver, world: World, host: str, title: str, city: str) -> None:
    list_place(driver, world, host, place_fields(world, title, city))


@given(parsers.parse("{host} has listed these places:"))
def has_listed_table(driver: Driver, world: World, host: str, datatable: list[list[str]]) -> None:
    header, *rows = datatable
    for row in rows:
        cell = dict(zip(header, (value.strip() for value in row), strict=True))
        amenities = [a.strip() for a in cell["amenities"].split(",") if a.strip()]
        fields = place_fields(
            world,
            cell["title"],
            cell["city"],
            price_per_night=cents(cell["price"]),
            max_guests=int(cell["guests"]),
            amenities=amenities,
            instant_book=cell["instant book"] == "yes",
        )
        list_place(driver, world, host, fields)


def book(driver: Driver, world: World, title: str, start: int, end: int, *, lapsed: bool) -> None:
    if not world.person("Booker").user_id:
        sign_up(driver, world, "Booker")
    guest = world.person("Booker").user_id
    check_in, check_out = world.days_from_now(start), world.days_from_now(end)
    driver.book_directly(place_id(world, title), guest, check_in, check_out, lapsed=lapsed)


@given(parsers.parse('"{title}" is booked from {start:d} to {end:d} days from now'))
def booked(driver: Driver, world: World, title: str, start: int, end: int) -> None:
    book(driver, world, title, start, end, lapsed=False)


@given(parsers.parse('"{title}" was held from {start:d} to {end:d} days from now but the hold has lapsed'))
def lapsed_hold(driver: Driver, world: World, title: str, start: int, end: int) -> None:
    book(driver, world, title, start, end, lapsed=True)


def search(driver: Driver, world: World, params: dict[str, Any]) -> None:
    outcome = driver.search(params)
    assert outcome.error is None, outcome
    world.results = [item["title"] for item in outcome.value["items"]]


@when(parsers.parse("a guest searches {city} sorted by price from {direction}"))
def search_sorted(driver: Driver, world: World, city: str, direction: str) -> None:
    sort = "price_asc" if direction == "low to high" else "price_desc"
    search(driver, world, {"city": world.city(city), "sort": sort})


@when(parsers.parse("a guest searches {city} for {guests:d} guests"))
def search_guests(driver: Driver, world: World, city: str, guests: int) -> None:
    search(driver, world, {"city": world.city(city), "guests": guests})


@when(parsers.parse("a guest searches {city} between {low} and {high} a night"))
def search_prices(driver: Driver, world: World, city: str, low: str, high: str) -> None:
    search(driver, world, {"city": world.city(city), "min_price": cents(low), "max_price": cents(high)})


@when(parsers.parse("a guest searches {city} for places with {amenities}"))
def search_amenities(driver: Driver, world: World, city: str, amenities: str) -> None:
    search(driver, world, {"city": world.city(city), "amenities": [a.strip() for a in amenities.split(" and ")]})


@when(parsers.parse("a guest searches {city} for places that can be booked instantly"))
def search_instant(driver: Driver, world: World, city: str) -> None:
    search(driver, world, {"city": world.city(city), "instant_book": True})


@when(parsers.parse("a guest searches {city} from {start:d} to {end:d} days from now"))
def search_dates(driver: Driver, world: World, city: str, start: int, end: int) -> None:
    stay = {"check_in": world.days_from_now(start), "check_out": world.days_from_now(end)}
    search(driver, world, {"city": world.city(city), **stay})


@when(parsers.parse("a guest pages through {city} two places at a time"))
def page_through(driver: Driver, world: World, city: str) -> None:
    params: dict[str, Any] = {"city": world.city(city), "limit": 2}
    world.results = []
    while True:
        outcome = driver.search(params)
        assert outcome.error is None, outcome
        world.results += [item["title"] for item in outcome.value["items"]]
        if outcome.value["next_cursor"] is None:
            break
        params["cursor"] = outcome.value["next_cursor"]


@then(parsers.parse("a guest searching {city} sees nothing"))
def sees_nothing(driver: Driver, world: World, city: str) -> None:
    search(driver, world, {"city": world.city(city)})
    assert world.results == []


def titles(text: str) -> list[str]:
    return [t.strip().strip('"') for t in text.replace(" and ", ", ").split(", ")]


@then(parsers.parse("they see {expected} in that order"))
def sees_in_order(world: World, expected: str) -> None:
    assert world.results == titles(expected)


@then(parsers.parse("they see exactly {expected}"))
def sees_exactly(world: World, expected: str) -> None:
    assert sorted(world.results) == sorted(titles(expected))


@then(parsers.parse("they see each of {expected} exactly once"))
def sees_each_once(world: World, expected: str) -> None:
    assert sorted(world.results) == sorted(titles(expected))
