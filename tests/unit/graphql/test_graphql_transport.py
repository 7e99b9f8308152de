from __future__ import annotations

import logging
import time
import uuid
from typing import Any

import graphene
import pytest
from graphql import get_introspection_query
from litestar import Litestar
from litestar.testing import TestClient

from adapters.graphql import build_graphql_router, print_schema
from adapters.graphql.context import GraphQLContext
from adapters.graphql.execution import MAX_DEPTH, MAX_NODES, execute_operation
from adapters.graphql.graphiql import GRAPHIQL
from adapters.graphql.handler import MAX_QUERY_LENGTH
from adapters.web import bearer_token
from airbnb_core.services import Accounts, Services
from tests.unit.graphql.support import GraphQLClient, only_error


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"", b"[]", b'{"variables": {}}', b'{"query": 42}', b'{"query": "{ me { id } }", "variables": []}'],
    ids=["not-json", "empty", "not-an-object", "no-query", "query-not-a-string", "variables-not-an-object"],
)
def test_a_malformed_request_body_is_a_bad_request(http: TestClient[Litestar], body: bytes) -> None:
    response = http.post("/graphql", content=body, headers={"Content-Type": "application/json"})

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "BAD_REQUEST"}
    assert error["message"].startswith("Body is not a GraphQL request")


def test_an_oversized_query_is_refused_before_parsing(http: TestClient[Litestar]) -> None:
    query = "{ me { id } }" + " " * MAX_QUERY_LENGTH

    response = http.post("/graphql", json={"query": query})

    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"] == {"code": "PAYLOAD_TOO_LARGE"}


def test_a_syntax_error_is_reported_as_a_parse_failure(gql: GraphQLClient) -> None:
    body = gql("{ me { id }")

    assert "data" not in body
    assert only_error(body)["extensions"] == {"code": "GRAPHQL_PARSE_FAILED"}


def test_variables_of_the_wrong_type_are_bad_input(gql: GraphQLClient) -> None:
    body = gql("query($id: ID!) { user(id: $id) { id } }", id={"not": "an id"})

    assert "data" not in body
    assert only_error(body)["extensions"] == {"code": "BAD_USER_INPUT"}


def test_an_unknown_fragment_is_a_validation_error(gql: GraphQLClient) -> None:
    body = gql("{ me { ...Missing } }")

    assert only_error(body)["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}


def test_the_introspection_query_graphiql_sends_is_answered(gql: GraphQLClient) -> None:
    body = gql(get_introspection_query(descriptions=True))

    assert "errors" not in body
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"


def test_deeply_nested_introspection_is_rejected(gql: GraphQLClient) -> None:
    nested = "{ __schema { types { fields { type { fields { type { fields { type { name } } } } } } } } }"

    assert only_error(gql(nested))["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}


class Node(graphene.ObjectType):
    child = graphene.Field(lambda: Node)
    name = graphene.String()


class RecursiveQuery(graphene.ObjectType):
    node = graphene.Field(Node)


def test_queries_deeper_than_the_limit_are_rejected_before_running(services: Services) -> None:
    recursive = graphene.Schema(query=RecursiveQuery)
    context = GraphQLContext(services, access_token=None, client="test")

    def nested(depth: int) -> str:
        return "{ node " + "{ child " * (depth - 1) + "{ name }" + " }" * depth

    allowed = execute_operation(recursive, nested(MAX_DEPTH), context=context)
    too_deep = execute_operation(recursive, nested(MAX_DEPTH + 1), context=context)

    assert allowed == {"data": {"node": None}}
    assert too_deep["errors"][0]["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}
    assert "exceeds maximum operation depth" in too_deep["errors"][0]["message"]


def test_operations_that_may_return_too_many_records_are_rejected_before_running(gql: GraphQLClient) -> None:
    page = "properties(limit: 100) { items { reviews(limit: $reviews) { rating } } }"  # 10,100 records
    two_pages = f"query($reviews: Int!) {{ a: {page} b: {page} }}"
    three_pages = f"query($reviews: Int!) {{ a: {page} b: {page} c: {page} }}"

    assert "errors" not in gql(two_pages, reviews=100)
    error = only_error(gql(three_pages, reviews=100))
    assert error["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}
    assert error["message"] == f"'anonymous' may return 30300 records, more than the {MAX_NODES} allowed."


def test_fragments_spread_many_times_are_measured_once_each(gql: GraphQLClient) -> None:
    levels = 22  # walking every spread would visit 2**22 fields: many seconds
    fragments = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels))
    query = f"{{ ...F0 }} {fragments} fragment F{levels} on Query {{ properties(limit: 1) {{ nextCursor }} }}"

    started = time.perf_counter()
    body = gql(query)

    assert time.perf_counter() - started < 1
    assert "may return 4194304 records" in only_error(body)["message"]


def test_an_unexpected_failure_is_logged_and_does_not_leak(
    gql: GraphQLClient, accounts: Accounts, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(user_id: uuid.UUID) -> Any:
        raise RuntimeError("connection to db at 10.0.0.5 with password hunter2 failed")

    monkeypatch.setattr(accounts, "public_profile", broken)

    with caplog.at_level(logging.ERROR, logger="adapters.graphql"):
        body = gql("query($id: ID!) { user(id: $id) { id } }", id=str(uuid.uuid4()))

    error = only_error(body)
    assert error["message"] == "Internal server error"
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    assert "hunter2" not in str(body)
    assert "hunter2" in caplog.text


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer abc.def", "abc.def"),
        ("bearer  abc.def ", "abc.def"),
        ("Basic dXNlcg==", None),
        ("Bearer", None),
        (None, None),
    ],
)
def test_only_a_bearer_authorization_header_carries_a_token(header: str | None, token: str | None) -> None:
    assert bearer_token(header) == token


def test_graphiql_is_served_on_get(http: TestClient[Litestar]) -> None:
    response = http.get("/graphql")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "GraphiQL.createFetcher" in response.text


def test_graphiql_is_not_found_when_disabled(services: Services) -> None:
    app = Litestar(route_handlers=[build_graphql_router(lambda: services, graphiql=False)])

    with TestClient(app) as client:
        assert client.get("/graphql").status_code == 404
        assert client.get(f"/graphql/assets/{GRAPHIQL}/graphiql.min.js").status_code == 404
        assert client.post("/graphql", json={"query": "{ __typename }"}).json() == {"data": {"__typename": "Query"}}


def test_the_endpoint_stays_out_of_the_openapi_document(services: Services) -> None:
    app = Litestar(route_handlers=[build_graphql_router(lambda: services, graphiql=True)])

    assert "/graphql" not in (app.openapi_schema.paths or {})


def test_the_printed_schema_describes_queries_and_keeps_email_off_public_profiles() -> None:
    sdl = print_schema()

    assert "type Query {" in sdl
    assert "type Mutation {" in sdl
    public_profile = sdl[sdl.index("type User {") :].split("}", 1)[0]
    assert "email" not in public_profile
