"""The BDD harness: every scenario in features/ runs once per driver (the core, then the REST API).

A new feature file needs only ``scenarios("name.feature")`` in a test module here and steps that
talk to the ``driver`` fixture.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from pytest_bdd import given, parsers, then

from airbnb_core.inmemory import HmacTokenService, ScryptPasswordHasher, in_memory_platform
from tests.bdd.drivers import CoreDriver, Driver, Outcome, RestDriver, Session, ShiftedClock
from tests.conftest import REDIS_URL
from tests.support.localstripe import API_KEY as LOCALSTRIPE_API_KEY
from tests.support.localstripe import payment_methods_of
from tests.support.stack import LiveServer, live_server, production_like_settings


@dataclass
class Person:
    name: str
    email: str = ""
    password: str = "a-perfectly-fine-password"
    user_id: str = ""
    sessions: list[Session] = field(default_factory=list)
    last: Outcome = field(default_factory=Outcome)

    @property
    def session(self) -> Session:
        return self.sessions[-1]


class World:
    """What one scenario remembers about its people, with emails made unique to the scenario.

    The REST driver shares one database across scenarios, so "maria@example.com" becomes
    "maria+<scenario>@example.com"; the case of what the scenario wrote is kept.
    """

    def __init__(self, today: date) -> None:
        self.today = today  # where the places are (Lisbon, unless a scenario says otherwise), when it began
        self.people: dict[str, Person] = {}
        self.places: dict[str, dict[str, Any]] = {}
        self.results: list[str] = []
        self.bookings: dict[str, dict[str, Any]] = {}  # each person's latest booking
        self._tag = uuid.uuid4().hex[:10]

    def person(self, name: str) -> Person:
        return self.people.setdefault(name, Person(name, email=self.email(f"{name.lower()}@example.com")))

    def email(self, written: str) -> str:
        local, _, domain = written.partition("@")
        return f"{local}+{self._tag}@{domain}"

    def days_from_now(self, days: int) -> date:
        return self.today + timedelta(days=days)

    def city(self, written: str) -> str:
        """Cities are made unique the same way, so searches see only this scenario's places."""
        return f"{written} {self._tag}"


@pytest.fixture(scope="session")
def rest_clock() -> ShiftedClock:
    """The BDD server's time: scenarios move it forward only, so every date is taken from it."""
    return ShiftedClock()


@pytest.fixture(scope="session")
def bdd_server(make_postgres_database: Callable[[], str], rest_clock: ShiftedClock) -> Iterator[LiveServer]:
    """The production wiring on PostgreSQL and Redis, like the suite's ``live_server``, but on a clock that
    scenarios may move (the shared server keeps real time)."""
    settings = production_like_settings(
        make_postgres_database(), REDIS_URL, login_rate_limit=100_000, api_rate_limit=100_000
    )
    with live_server(settings, clock=rest_clock) as server:
        yield server


@pytest.fixture(scope="session")
def bdd_stripe_server(
    make_postgres_database: Callable[[], str], rest_clock: ShiftedClock, localstripe_url: str
) -> Iterator[LiveServer]:
    """The same wiring with the ``stripe`` provider pointed at localstripe: only the configuration differs."""
    settings = production_like_settings(
        make_postgres_database(),
        REDIS_URL,
        login_rate_limit=100_000,
        api_rate_limit=100_000,
        payment_provider="stripe",
        stripe_api_key=LOCALSTRIPE_API_KEY,
        stripe_api_base=localstripe_url,
    )
    with live_server(settings, clock=rest_clock) as server:
        yield server


# Every feature runs on the core and over REST; payments.feature also over REST on Stripe (test_payments.py).
DRIVERS = ["core", "rest"]


@pytest.fixture(params=DRIVERS, autouse=True)
def driver(request: pytest.FixtureRequest) -> Iterator[Driver]:
    yield from drive(request)


def drive(request: pytest.FixtureRequest) -> Iterator[Driver]:
    """The driver ``request.param`` names: ``core``, ``rest`` (on the sandbox) or ``rest-stripe``."""
    if request.param == "core":
        clock = ShiftedClock()
        # Sessions outlast the time a scenario lets pass (a booking hold is as long as a default access token).
        tokens = HmacTokenService(uuid.uuid4().bytes, ttl_seconds=24 * 3600)
        yield CoreDriver(in_memory_platform(hasher=ScryptPasswordHasher(n=2**8), clock=clock, tokens=tokens), clock)
        return
    on_stripe = request.param == "rest-stripe"
    server: LiveServer = request.getfixturevalue("bdd_stripe_server" if on_stripe else "bdd_server")
    clock = request.getfixturevalue("rest_clock")
    methods = payment_methods_of(request.getfixturevalue("localstripe_url")) if on_stripe else None
    with httpx.Client(base_url=server.url, timeout=10) as client:
        container = server.container
        rest = RestDriver(client, container.services(), container.unit_of_work, container.cache(), clock)
        if methods is not None:
            rest.payment_methods = methods
        yield rest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Scenarios tagged ``core_only`` (none at present: the REST driver's clock moves too) run on the core
    driver alone, deselected (not skipped) for the REST one."""
    deselected: list[pytest.Item] = []
    kept: list[pytest.Item] = []
    for item in items:
        params = getattr(item, "callspec", None)
        on_rest = params is not None and str(params.params.get("driver")).startswith("rest")
        (deselected if on_rest and item.get_closest_marker("core_only") else kept).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


PLACES_TIMEZONE = ZoneInfo("Europe/Lisbon")


@pytest.fixture
def world(driver: Driver) -> World:
    return World(today=driver.now().astimezone(PLACES_TIMEZONE).date())


# --- steps several features share ------------------------------------------------------------------


def sign_up(driver: Driver, world: World, name: str) -> None:
    person = world.person(name)
    outcome = driver.register(name, person.email, person.password)
    assert outcome.error is None, outcome
    person.user_id = outcome.value["id"]


def sign_in(driver: Driver, world: World, name: str) -> None:
    person = world.person(name)
    outcome = driver.log_in(person.email, person.password)
    assert outcome.error is None, outcome
    person.sessions.append(outcome.value)


def time_passes(driver: Driver, world: World, delta: timedelta) -> None:
    """Let ``delta`` pass on the platform's clock; everyone signed in signs in again (access tokens are short)."""
    driver.let_time_pass(delta)
    for person in world.people.values():
        if person.sessions:
            sign_in(driver, world, person.name)


@given(parsers.re(r"(?P<name>[A-Z]\w*) is signed in"))
def is_signed_in(driver: Driver, world: World, name: str) -> None:
    sign_up(driver, world, name)
    sign_in(driver, world, name)


@given(parsers.re(r"(?P<name>[A-Z]\w*) is a host"))
def is_a_host(driver: Driver, world: World, name: str) -> None:
    is_signed_in(driver, world, name)
    assert driver.become_host(world.person(name).session).error is None


@then(parsers.parse("{name} is refused as not allowed"))
def refused_forbidden(world: World, name: str) -> None:
    assert world.person(name).last.error == "forbidden", world.person(name).last
