"""A small GraphQL client over Litestar's test client, so tests read as operations, not HTTP."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient

PASSWORD = "correct horse battery"
ATTEMPTS_PER_MINUTE = 20

# The fields a new listing needs, as a PropertyInput.
LISTING: dict[str, Any] = {
    "title": "Loft by the canal",
    "location": "12 Prinsengracht",
    "city": "Amsterdam",
    "country": "NL",
    "latitude": 52.37,
    "longitude": 4.89,
    "pricePerNight": 12_500,
    "currency": "EUR",
    "maxGuests": 4,
}


class GraphQLClient:
    def __init__(self, http: TestClient[Any]) -> None:
        self.http = http

    def __call__(self, query: str, token: str | None = None, **variables: Any) -> dict[str, Any]:
        """The GraphQL response; every operation answers 200, failures included."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = self.http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def register(self, email: str = "ann@example.com", name: str = "Ann", is_host: bool = False) -> dict[str, Any]:
        body = self(
            "mutation($name: String!, $email: String!, $password: String!, $isHost: Boolean!) {"
            " register(name: $name, email: $email, password: $password, isHost: $isHost)"
            " { id name email isHost isAdmin isActive createdAt } }",
            name=name,
            email=email,
            password=PASSWORD,
            isHost=is_host,
        )
        assert "errors" not in body, body
        account: dict[str, Any] = body["data"]["register"]
        return account

    def login(self, email: str = "ann@example.com", password: str = PASSWORD) -> dict[str, Any]:
        return self(
            "mutation($email: String!, $password: String!) {"
            " login(email: $email, password: $password) { accessToken refreshToken tokenType expiresIn } }",
            email=email,
            password=password,
        )

    def session(self, email: str = "ann@example.com", is_host: bool = False) -> dict[str, Any]:
        """A registered, logged-in member's token pair."""
        self.register(email, is_host=is_host)
        pair: dict[str, Any] = self.login(email)["data"]["login"]
        return pair

    def host(self, email: str = "hugo@example.com") -> str:
        """A new host's access token."""
        token: str = self.session(email, is_host=True)["accessToken"]
        return token

    def create_property(self, token: str, **fields: Any) -> dict[str, Any]:
        """A new listing made of ``LISTING`` and ``fields``; fails the test if it is refused."""
        body = self(
            "mutation($input: PropertyInput!) { createProperty(input: $input) { id title pricePerNight } }",
            token=token,
            input={**LISTING, **fields},
        )
        assert "errors" not in body, body
        created: dict[str, Any] = body["data"]["createProperty"]
        return created


def only_error(body: dict[str, Any]) -> dict[str, Any]:
    assert len(body.get("errors", [])) == 1, body
    error: dict[str, Any] = body["errors"][0]
    return error
