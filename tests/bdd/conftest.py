"""The BDD harness: every scenario in features/ runs once per driver (the core, then the REST API).

A new feature file needs only ``scenarios("name.feature")`` in a test module here and steps that
talk to the ``driver`` fixture.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from airbnb_core.inmemory import ScryptPasswordHasher, in_memory_platform
from tests.bdd.drivers import CoreDriver, Driver, Outcome, RestDriver, Session
from tests.support.stack import LiveServer


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

    def __init__(self) -> None:
        self.people: dict[str, Person] = {}
        self._tag = uuid.uuid4().hex[:10]

    def person(self, name: str) -> Person:
        return self.people.setdefault(name, Person(name, email=self.email(f"{name.lower()}@example.com")))

    def email(self, written: str) -> str:
        local, _, domain = written.partition("@")
        return f"{local}+{self._tag}@{domain}"


@pytest.fixture(params=["core", "rest"], autouse=True)
def driver(request: pytest.FixtureRequest) -> Iterator[Driver]:
    if request.param == "core":
        yield CoreDriver(in_memory_platform(password_hasher=ScryptPasswordHasher(n=2**8)))
        return
    server: LiveServer = request.getfixturevalue("live_server")
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield RestDriver(client, server.container.accounts())


@pytest.fixture
def world() -> World:
    return World()
