"""The GraphQL adapter: a Graphene schema over the core's use cases, served by Litestar."""

from adapters.graphql.handler import build_graphql_router
from adapters.graphql.schema import print_schema, schema

__all__ = ["build_graphql_router", "print_schema", "schema"]
