"""Signed-up members of the REST API, for tests that call it over HTTP."""

from __future__ import annotations

import uuid

import httpx

PASSWORD = "pass-word-1"


class Member(dict[str, str]):
    """Request headers carrying a member's access token, and how to get a new one once the server's clock
    has moved past its expiry."""

    def __init__(self, api: httpx.Client, email: str) -> None:
        self.api, self.email = api, email
        super().__init__(self._authorization())

    def _authorization(self) -> dict[str, str]:
        login = self.api.post("/auth/login", json={"email": self.email, "password": PASSWORD})
        assert login.status_code == 200, login.text
        return {"Authorization": f"Bearer {login.json()['access_token']}"}

    def log_in_again(self) -> None:
        self.update(self._authorization())


def member(api: httpx.Client, *, host: bool = False) -> Member:
    """A new member of ``api`` (the ``/api/v1`` client), logged in; a host when ``host``."""
    email = f"m-{uuid.uuid4().hex[:12]}@example.com"
    registered = api.post("/auth/register", json={"name": "Mo", "email": email, "password": PASSWORD, "is_host": host})
    assert registered.status_code == 201, registered.text
    return Member(api, email)
