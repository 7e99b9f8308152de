"""Accounts through GraphQL on the real server: the same rules and tokens as REST."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.support.stack import LiveServer


def gql(server: LiveServer, query: str, token: str | None = None, **variables: Any) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.post(
        server.url + "/graphql", json={"query": query, "variables": variables}, headers=headers, timeout=10
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken refreshToken } }"


def test_register_login_me_refresh_logout_through_graphql(live_server: LiveServer) -> None:
    email = f"gql-{uuid.uuid4().hex[:10]}@example.com"
    registered = gql(
        live_server,
        "mutation($n: String!, $e: String!, $p: String!) { register(name: $n, email: $e, password: $p) { id email } }",
        n="Gina",
        e=email,
        p="pass-word-1",
    )
    assert registered["data"]["register"]["email"] == email
    tokens = gql(live_server, LOGIN, e=email, p="pass-word-1")["data"]["login"]
    me = gql(live_server, "{ me { id name email isHost } }", tokens["accessToken"])["data"]["me"]
    assert me == {"id": registered["data"]["register"]["id"], "name": "Gina", "email": email, "isHost": False}

    # A REST client can use the token GraphQL issued, and the other way round.
    rest_me = httpx.get(
        live_server.url + "/api/v1/users/me", headers={"Authorization": f"Bearer {tokens['accessToken']}"}
    )
    assert rest_me.json()["email"] == email

    refresh = "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken refreshToken } }"
    newer = gql(live_server, refresh, t=tokens["refreshToken"])["data"]["refreshToken"]
    reused = gql(live_server, refresh, t=tokens["refreshToken"])
    assert reused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert gql(live_server, refresh, t=newer["refreshToken"])["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_graphql_errors_carry_codes(live_server: LiveServer) -> None:
    assert gql(live_server, "{ me { id } }")["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    unknown = gql(live_server, "query($id: ID!) { user(id: $id) { name } }", id=str(uuid.uuid4()))
    assert unknown["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    wrong = gql(live_server, LOGIN, e="nobody@example.com", p="whatever-1")
    assert wrong["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    short = gql(
        live_server,
        'mutation { register(name: "X", email: "x@example.com", password: "short") { id } }',
    )
    assert short["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
