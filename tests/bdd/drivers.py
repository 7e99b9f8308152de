"""One small interface to the platform, two ways to reach it: the core in memory, or the REST API over HTTP.

Step definitions speak only to a ``Driver``, so every scenario checks both.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from airbnb_core.domain.errors import DomainError
from airbnb_core.inmemory import InMemoryPlatform
from airbnb_core.services.accounts import Accounts, LogIn, RegisterUser, UpdateProfile


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


def _user_dict(user: Any) -> dict[str, Any]:
    return {"id": str(user.id), "name": user.name, "email": user.email, "is_host": user.is_host}


class CoreDriver:
    """Calls the use cases directly, as a library user would."""

    def __init__(self, platform: InMemoryPlatform) -> None:
        self._accounts: Accounts = platform.accounts

    def _call(self, fn: Any, *args: Any) -> Outcome:
        try:
            return Outcome(fn(*args))
        except DomainError as exc:
            return Outcome(error=exc.code, detail=exc.detail)

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


class RestDriver:
    """Talks to a running server over HTTP, as a front end would."""

    def __init__(self, client: httpx.Client, accounts: Accounts) -> None:
        self._http = client
        self._operator = accounts

    def _send(self, method: str, path: str, *, token: str | None = None, json: Any = None) -> Outcome:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = self._http.request(method, f"/api/v1{path}", json=json, headers=headers)
        if response.is_error:
            problem = response.json()
            assert response.headers["content-type"].startswith("application/problem+json")
            assert problem["status"] == response.status_code
            return Outcome(error=problem["code"], detail=problem["detail"])
        return Outcome(response.json() if response.content else None)

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
        self._operator.create_admin(RegisterUser(name, email, password))
