"""GraphQL over HTTP on Litestar: ``POST /graphql`` runs operations, ``GET /graphql`` serves GraphiQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
from litestar import MediaType, Request, Response, Router, get, post
from litestar.exceptions import NotFoundException
from litestar.params import RawBody

from adapters.graphql.context import GraphQLContext
from adapters.graphql.execution import execute_operation, unavailable_retry_after
from adapters.graphql.schema import schema
from adapters.web import bearer_token
from airbnb_core.services import Services

MAX_QUERY_LENGTH = 20_000
# Variables carry user text (descriptions, comments) but nothing near this size.
MAX_BODY_BYTES = 1_000_000


class GraphQLRequest(msgspec.Struct, frozen=True, rename="camel"):
    query: str
    variables: dict[str, Any] | None = None
    operation_name: str | None = None


def build_graphql_router(services: Callable[[], Services], *, graphiql: bool) -> Router:
    """The ``/graphql`` endpoint over the use cases ``services`` provides (called once per request);
    ``graphiql`` serves the in-browser IDE, which production leaves off."""

    # Sync because the use cases are; Litestar runs it in its thread pool.
    @post("/", status_code=200, sync_to_thread=True, include_in_schema=False, request_max_body_size=MAX_BODY_BYTES)
    def graphql_endpoint(request: Request[Any, Any, Any], body: RawBody) -> Response[dict[str, Any]]:
        try:
            operation = msgspec.json.decode(body, type=GraphQLRequest)
        except msgspec.DecodeError as error:
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
        )
        if (retry_after := unavailable_retry_after(result)) is not None:
            return Response(result, status_code=503, headers={"Retry-After": str(retry_after)})
        return Response(result)

    @get("/", sync_to_thread=False, include_in_schema=False, media_type=MediaType.HTML)
    def graphiql_page() -> str:
        if not graphiql:
            raise NotFoundException()
        return GRAPHIQL_HTML

    return Router(path="/graphql", route_handlers=[graphql_endpoint, graphiql_page])


def _request_error(status_code: int, code: str, message: str) -> Response[dict[str, Any]]:
    return Response({"errors": [{"message": message, "extensions": {"code": code}}]}, status_code=status_code)


# The page posts to the URL it was served from, so it keeps working wherever the router is mounted.
GRAPHIQL_HTML = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>GraphiQL</title>
  <style>html, body, #graphiql { height: 100%; margin: 0; }</style>
  <link rel="stylesheet" href="https://unpkg.com/graphiql@3.8.3/graphiql.min.css" crossorigin="anonymous">
</head>
<body>
  <div id="graphiql">Loading GraphiQL…</div>
  <script src="https://unpkg.com/react@18.3.1/umd/react.production.min.js" crossorigin="anonymous"></script>
  <script src="https://unpkg.com/react-dom@18.3.1/umd/react-dom.production.min.js" crossorigin="anonymous"></script>
  <script src="https://unpkg.com/graphiql@3.8.3/graphiql.min.js" crossorigin="anonymous"></script>
  <script>
    const fetcher = GraphiQL.createFetcher({ url: window.location.pathname });
    ReactDOM.createRoot(document.getElementById("graphiql")).render(
      React.createElement(GraphiQL, { fetcher })
    );
  </script>
</body>
</html>
"""
