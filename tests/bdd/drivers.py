"""One small interface to the platform, two ways to reach it: the core in memory, or the REST API over HTTP.

Step definitions speak only to a ``Driver``, so every scenario checks both.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from airbnb_core.domain.bookings import BookingStatus
from airbnb_core.domain.search import SearchCriteria, SearchSort
from airbnb_core.domain.stay import Stay
from airbnb_core.inmemory import InMemoryPlatform, InMemoryUnitOfWork
from airbnb_core.ports.cache import CacheInvalidator, property_scope
from airbnb_core.ports.unit_of_work import UnitOfWork
from airbnb_core.services.accounts import LogIn, RegisterUser, UpdateProfile
from airbnb_core.services.listings import PropertyChanges, PropertyDetails, PropertyDraft
from tests.bdd.driving import Outcome, Session, ShiftedClock
from tests.bdd.stay_drivers import CoreStays, RestStays
from tests.builders import a_booking

__all__ = ["CoreDriver", "Driver", "Outcome", "RestDriver", "Session", "ShiftedClock"]


class Driver(Protocol):
    def register(self, name: str, email: str, password: str) -> Outcome: ...

    def log_in(self, email: str, password: str) -> Outcome:
        """Outcome.value is a ``Session``."""

    def refresh(self, refresh_token: str) -> Outcome: ...

    def log_out(self, session: Session) -> Outcome: ...

    def me(self, session: Session) -> Outcome:
        """Outcome.value is a dict with at least id, name, email, is_host."""

    def become_host(self, session: Session) -> Outcome: ...

    def public_profile(self, user_id: str) -> Outcome:
        """Outcome.value is the public profile as a dict."""

    def deactivate(self, admin: Session, user_id: str) -> Outcome: ...

    def make_admin(self, name: str, email: str, password: str) -> None:
        """An operator's action (the command line), not an API call."""

    def list_property(self, session: Session, fields: dict[str, Any]) -> Outcome:
        """Fields as the REST API names them; Outcome.value is the property as REST shows it."""

    def update_property(self, session: Session, property_id: str, changes: dict[str, Any]) -> Outcome: ...

    def take_down(self, session: Session, property_id: str) -> Outcome: ...

    def property_details(self, property_id: str) -> Outcome: ...

    def search(self, params: dict[str, Any]) -> Outcome:
        """Query parameters as REST names them; Outcome.value is ``{"items": [...], "next_cursor": ...}``."""

    def availability(self, property_id: str, start: date, end: date) -> Outcome:
        """Outcome.value is a list of ``(start, end)`` date pairs."""

    def book_directly(self, property_id: str, guest_id: str, check_in: date, check_out: date, *, lapsed: bool) -> None:
        """Put a booking straight into storage, for states the booking use cases cannot reach yet."""

    def quote(self, property_id: str, check_in: date, check_out: date, guests: int) -> Outcome:
        """Outcome.value is the quote as REST shows it (amounts in minor units)."""

    def book(self, session: Session, property_id: str, check_in: date, check_out: date, guests: int) -> Outcome:
        """Outcome.value is the booking as REST shows it, with check_in and check_out as dates."""

    def booking(self, session: Session, booking_id: str) -> Outcome: ...

    def cancellation_preview(self, session: Session, booking_id: str) -> Outcome:
        """Outcome.value is the preview as REST shows it."""

    def cancel(self, session: Session, booking_id: str) -> Outcome: ...

    def bookings(self, session: Session, *, as_host: bool = False) -> Outcome:
        """Outcome.value is a list of bookings, newest first (the first page, which is all a scenario makes)."""

    def pay(self, session: Session, booking_id: str, payment_method: str) -> Outcome:
        """Pay with one of the sandbox's test payment methods; Outcome.value is the payment as REST shows it."""

    def payment(self, session: Session, booking_id: str) -> Outcome: ...

    def approve(self, session: Session, booking_id: str) -> Outcome:
        """The host's yes to a request to book; Outcome.value is the booking."""

    def decline(self, session: Session, booking_id: str) -> Outcome: ...

    def review(self, session: Session, booking_id: str, rating: int, comment: str) -> Outcome: ...

    def now(self) -> datetime:
        """The platform's time."""

    def let_time_pass(self, delta: timedelta) -> None:
        """Move the platform's clock forward, then run the periodic sweep (lapsed holds and requests) as the
        worker would. Access tokens may have expired: log in again."""


def _book(uow: UnitOfWork, cache: CacheInvalidator, property_id: str, guest_id: str, check_in: date,
          check_out: date, lapsed: bool, now: datetime) -> None:  # fmt: skip
    booking = a_booking(
        user_id=uuid.UUID(guest_id),
        property_id=uuid.UUID(property_id),
        stay=Stay(check_in, check_out),
        status=BookingStatus.PENDING if lapsed else BookingStatus.CONFIRMED,
        hold_expires_at=now - timedelta(minutes=1) if lapsed else None,
        created_at=now,
    )
    with uow:
        uow.bookings.add(booking)
        uow.commit()
    # What the booking use cases will do after every change of availability.
    cache.invalidate(property_scope(booking.property_id))


def _property_dict(details: PropertyDetails) -> dict[str, Any]:
    return {**dataclasses.asdict(details.place), "id": str(details.place.id), "host": {"name": details.host.name}}


def _user_dict(user: Any) -> dict[str, Any]:
    return {"id": str(user.id), "name": user.name, "email": user.email, "is_host": user.is_host}


class CoreDriver(CoreStays):
    """The core in memory: accounts and places here, the stay in ``CoreStays``."""

    def __init__(self, platform: InMemoryPlatform, clock: ShiftedClock) -> None:
        super().__init__(platform, clock)
        self._accounts = platform.services.accounts
        self._listings = platform.services.listings

    def register(self, name: str, email: str, password: str) -> Outcome:
        return self._call(lambda: _user_dict(self._accounts.register(RegisterUser(name, email, password))))

    def log_in(self, email: str, password: str) -> Outcome:
        def run() -> Session:
            pair = self._accounts.log_in(LogIn(email, password))
            return Session(pair.access_token, pair.refresh_token)

        return self._call(run)

    def refresh(self, refresh_token: str) -> Outcome:
        def run() -> Session:
            pair = self._accounts.refresh(refresh_token)
            return Session(pair.access_token, pair.refresh_token)

        return self._call(run)

    def log_out(self, session: Session) -> Outcome:
        return self._call(
            lambda: self._accounts.log_out(self._accounts.authenticate(session.access_token), session.refresh_token)
        )

    def me(self, session: Session) -> Outcome:
        return self._call(lambda: _user_dict(self._accounts.authenticate(session.access_token)))

    def become_host(self, session: Session) -> Outcome:
        return self._call(
            lambda: _user_dict(
                self._accounts.update_profile(
                    self._accounts.authenticate(session.access_token), UpdateProfile(is_host=True)
                )
            )
        )

    def public_profile(self, user_id: str) -> Outcome:
        def run() -> dict[str, Any]:
            user = self._accounts.public_profile(uuid.UUID(user_id))
            return {"id": str(user.id), "name": user.name, "is_host": user.is_host}

        return self._call(run)

    def deactivate(self, admin: Session, user_id: str) -> Outcome:
        return self._call(
            lambda: self._accounts.deactivate(self._accounts.authenticate(admin.access_token), uuid.UUID(user_id))
        )

    def make_admin(self, name: str, email: str, password: str) -> None:
        self._accounts.create_admin(RegisterUser(name, email, password))

    def list_property(self, session: Session, fields: dict[str, Any]) -> Outcome:
        def run() -> Any:
            draft = PropertyDraft(**{**fields, "amenities": tuple(fields.get("amenities", ()))})
            place = self._listings.create(self._user(session), draft)
            return _property_dict(self._listings.details(place.id))

        return self._call(run)

    def update_property(self, session: Session, property_id: str, changes: dict[str, Any]) -> Outcome:
        return self._call(
            lambda: self._listings.update(self._user(session), uuid.UUID(property_id), PropertyChanges(**changes))
        )

    def take_down(self, session: Session, property_id: str) -> Outcome:
        return self._call(lambda: self._listings.deactivate(self._user(session), uuid.UUID(property_id)))

    def property_details(self, property_id: str) -> Outcome:
        return self._call(lambda: _property_dict(self._listings.details(uuid.UUID(property_id))))

    def search(self, params: dict[str, Any]) -> Outcome:
        def run() -> Any:
            stay = Stay(params["check_in"], params["check_out"]) if "check_in" in params else None
            criteria = SearchCriteria(
                city=params.get("city"),
                stay=stay,
                guests=params.get("guests"),
                min_price=params.get("min_price"),
                max_price=params.get("max_price"),
                amenities=frozenset(params.get("amenities", ())),
                instant_book=params.get("instant_book"),
                sort=SearchSort(params.get("sort", "newest")),
            )
            page = self._listings.search(criteria, limit=params.get("limit", 20), cursor=params.get("cursor"))
            return {"items": [{"title": p.title} for p in page.items], "next_cursor": page.next_cursor}

        return self._call(run)

    def availability(self, property_id: str, start: date, end: date) -> Outcome:
        return self._call(
            lambda: [(s.check_in, s.check_out) for s in self._listings.availability(uuid.UUID(property_id), start, end)]
        )

    def book_directly(self, property_id: str, guest_id: str, check_in: date, check_out: date, *, lapsed: bool) -> None:
        uow = InMemoryUnitOfWork(self._platform.store)
        _book(uow, self._platform.cache, property_id, guest_id, check_in, check_out, lapsed, self.now())


class RestDriver(RestStays):
    """The REST API over HTTP: accounts and places here, the stay in ``RestStays``."""

    def _session(self, outcome: Outcome) -> Outcome:
        if outcome.error is None:
            assert outcome.value["token_type"] == "bearer"
            outcome.value = Session(outcome.value["access_token"], outcome.value["refresh_token"])
        return outcome

    def register(self, name: str, email: str, password: str) -> Outcome:
        return self._send("POST", "/auth/register", json={"name": name, "email": email, "password": password})

    def log_in(self, email: str, password: str) -> Outcome:
        return self._session(self._send("POST", "/auth/login", json={"email": email, "password": password}))

    def refresh(self, refresh_token: str) -> Outcome:
        return self._session(self._send("POST", "/auth/refresh", json={"refresh_token": refresh_token}))

    def log_out(self, session: Session) -> Outcome:
        return self._send(
            "POST", "/auth/logout", token=session.access_token, json={"refresh_token": session.refresh_token}
        )

    def me(self, session: Session) -> Outcome:
        return self._send("GET", "/users/me", token=session.access_token)

    def become_host(self, session: Session) -> Outcome:
        return self._send("PATCH", "/users/me", token=session.access_token, json={"is_host": True})

    def public_profile(self, user_id: str) -> Outcome:
        return self._send("GET", f"/users/{user_id}")

    def deactivate(self, admin: Session, user_id: str) -> Outcome:
        return self._send("POST", f"/users/{user_id}/deactivate", token=admin.access_token)

    def make_admin(self, name: str, email: str, password: str) -> None:
        self._services.accounts.create_admin(RegisterUser(name, email, password))

    def list_property(self, session: Session, fields: dict[str, Any]) -> Outcome:
        return self._send("POST", "/properties", token=session.access_token, json=fields)

    def update_property(self, session: Session, property_id: str, changes: dict[str, Any]) -> Outcome:
        return self._send("PATCH", f"/properties/{property_id}", token=session.access_token, json=changes)

    def take_down(self, session: Session, property_id: str) -> Outcome:
        return self._send("DELETE", f"/properties/{property_id}", token=session.access_token)

    def property_details(self, property_id: str) -> Outcome:
        return self._send("GET", f"/properties/{property_id}")

    def search(self, params: dict[str, Any]) -> Outcome:
        query = {k: (",".join(v) if isinstance(v, list | tuple | frozenset) else str(v)) for k, v in params.items()}
        return self._send("GET", "/properties", params=query)

    def availability(self, property_id: str, start: date, end: date) -> Outcome:
        outcome = self._send("GET", f"/properties/{property_id}/availability", params={"start": start, "end": end})
        if outcome.error is None:
            outcome.value = [
                (date.fromisoformat(r["start"]), date.fromisoformat(r["end"])) for r in outcome.value["unavailable"]
            ]
        return outcome

    def book_directly(self, property_id: str, guest_id: str, check_in: date, check_out: date, *, lapsed: bool) -> None:
        _book(self._storage(), self._cache, property_id, guest_id, check_in, check_out, lapsed, self.now())
