"""What both drivers are built on: what a user gets back, a session, the clock a scenario moves, and the two
ways of reaching the platform (calling the use cases, or sending HTTP requests)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from airbnb_core.domain.errors import DomainError
from airbnb_core.domain.users import User
from airbnb_core.inmemory import InMemoryPlatform
from airbnb_core.ports.cache import CacheInvalidator
from airbnb_core.ports.unit_of_work import UnitOfWork
from airbnb_core.services import Services


@dataclass
class Outcome:
    """What the user got: a result, or the error code the platform answered with."""

    value: Any = None
    error: str | None = None
    detail: str | None = None


@dataclass
class Session:
    access_token: str
    refresh_token: str


class ShiftedClock:
    """The system's time, moved on by however much a scenario lets pass; never back (the REST server's
    rate limiter and stored holds would otherwise see times from the future)."""

    def __init__(self) -> None:
        self._offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def advance(self, delta: timedelta) -> None:
        assert delta >= timedelta(0), "time only moves forward"
        self._offset += delta


class CoreCalls:
    """Calls the use cases directly, as a library user would; errors become the outcome's code."""

    def __init__(self, platform: InMemoryPlatform, clock: ShiftedClock) -> None:
        self._platform = platform
        self._clock = clock
        self._services = platform.services

    def _call(self, fn: Callable[..., Any], *args: Any) -> Outcome:
        try:
            return Outcome(fn(*args))
        except DomainError as exc:
            return Outcome(error=exc.code, detail=exc.detail)

    def _user(self, session: Session) -> User:
        return self._services.accounts.authenticate(session.access_token)

    def now(self) -> datetime:
        return self._clock.now()

    def let_time_pass(self, delta: timedelta) -> None:
        self._clock.advance(delta)
        self._services.bookings.expire_lapsed()  # what the worker's periodic sweep runs


class RestCalls:
    """Talks to a running server over HTTP, as a front end would; problems become the outcome's code."""

    def __init__(
        self,
        client: httpx.Client,
        services: Services,
        storage: Callable[[], UnitOfWork],
        cache: CacheInvalidator,
        clock: ShiftedClock,
        payment_methods: Callable[[str], str] = lambda stripe_test_method: stripe_test_method,
    ) -> None:
        # Stripe's test payment method ids as the provider's test server knows them (localstripe lacks most).
        self.payment_methods = payment_methods
        self._http = client
        self._services = services  # the operator's side: the command line, the worker's sweep
        self._storage = storage
        self._cache = cache
        self._clock = clock

    def _send(
        self, method: str, path: str, *, token: str | None = None, json: Any = None, params: Any = None
    ) -> Outcome:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = self._http.request(method, f"/api/v1{path}", json=json, headers=headers, params=params)
        if response.is_error:
            problem = response.json()
            assert response.headers["content-type"].startswith("application/problem+json")
            assert problem["status"] == response.status_code
            return Outcome(error=problem["code"], detail=problem["detail"])
        return Outcome(response.json() if response.content else None)

    def now(self) -> datetime:
        return self._clock.now()

    def let_time_pass(self, delta: timedelta) -> None:
        self._clock.advance(delta)
        self._services.bookings.expire_lapsed()  # what the worker's periodic sweep runs
