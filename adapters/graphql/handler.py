"""GraphQL over HTTP on Litestar: ``POST /graphql`` runs operations, ``GET /graphql`` serves GraphiQL."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import msgspec
from litestar import MediaType, Request, Response, Router, get, post
from litestar.exceptions import NotFoundException
from litestar.params import RawBody

from adapters.graphql.context import GraphQLContext
from adapters.graphql.execution import execute_operation, unavailable_retry_after
from adapters.graphql.graphiql import PAGE_HEADERS, graphiql_assets_router, graphiql_html
from adapters.graphql.schema import schema
from adapters.web import bearer_token
from airbnb_core.services import Services

MAX_QUERY_LENGTH = 20_000
_JSON_MEDIA_TYPE = re.compile(r"^application/json\s*(?:;.*)?$", re.IGNORECASE)
# Variables carry user text (descriptions, comments) but nothing near this size.
MAX_BODY_BYTES = 1_000_000


class GraphQLRequest(msgspec.Struct, frozen=True, rename="camel"):
    query: str
    variables: dict[str, Any] | None = None
    operation_name: str | None = None


def build_graphql_router(services: Callable[[], Services], *, graphiql: bool, introspection: bool = True) -> Router:
    """The ``/graphql`` endpoint over the use cases ``services`` provides (called once per request);
    ``graphiql`` serves the in-browser IDE, which production leaves off, and without ``introspection``
    the schema cannot be queried and errors suggest no field names."""

    # Sync because the use cases are; Litestar runs it in its thread pool.
    @post("/", status_code=200, sync_to_thread=True, include_in_schema=False, request_max_body_size=MAX_BODY_BYTES)
    def graphql_endpoint(request: Request[Any, Any, Any], body: RawBody) -> Response[dict[str, Any]]:
        if not _JSON_MEDIA_TYPE.match(request.headers.get("content-type", "")):
            return _request_error(415, "UNSUPPORTED_MEDIA_TYPE", "Send the request as application/json")
        try:
            operation = msgspec.json.decode(body, type=GraphQLRequest)
        except (msgspec.DecodeError, RecursionError) as error:
            # RecursionError: variables nested deeper than the interpreter's stack allows.
            return _request_error(400, "BAD_REQUEST", f"Body is not a GraphQL request: {error}")
        if len(operation.query) > MAX_QUERY_LENGTH:
            return _request_error(413, "PAYLOAD_TOO_LARGE", f"Query is longer than {MAX_QUERY_LENGTH} characters")
        context = GraphQLContext(
            services(),
            access_token=bearer_token(request.headers.get("authorization")),
            client=request.client.host if request.client else "unknown",
        )
        result = execute_operation(
            schema,
            operation.query,
            variables=operation.variables,
            operation_name=operation.operation_name,
            context=context,
            introspection=introspection,
        )
        if (retry_after := unavailable_retry_after(result)) is not None:
            return Response(result, status_code=503, headers={"Retry-After": str(retry_after)})
        return Response(result)

    path = "/graphql"
    page = graphiql_html(path)

    @get("/", sync_to_thread=False, include_in_schema=False, media_type=MediaType.HTML, response_headers=PAGE_HEADERS)
    def graphiql_page() -> str:
        if not graphiql:
            raise NotFoundException()
        return page

    assets = [graphiql_assets_router()] if graphiql else []
    return Router(path=path, route_handlers=[graphql_endpoint, graphiql_page, *assets])


def _request_error(status_code: int, code: str, message: str) -> Response[dict[str, Any]]:
    return Response({"errors": [{"message": message, "extensions": {"code": code}}]}, status_code=status_code)
