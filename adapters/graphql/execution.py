"""Running one GraphQL request: parse, validate, execute, and turn every failure into a client-safe error.

Errors are mapped here, once, after execution: resolvers simply let the core's ``DomainError`` rise.
"""

from __future__ import annotations

import logging
from typing import Any

import graphene
from graphene.utils.str_converters import to_camel_case
from graphene.validation import depth_limit_validator
from graphql import GraphQLError, execute_sync, parse, validate
from graphql.validation import recommended_rules

from adapters.graphql.context import GraphQLContext
from airbnb_core.domain.errors import DomainError, InvalidInput, RateLimited

logger = logging.getLogger(__name__)

MAX_DEPTH = 10
# Bounds parser work on documents that are small in bytes but dense in tokens.
MAX_TOKENS = 5_000

# graphene's depth rule skips introspection fields, so their nesting is bounded by graphql-core's rule.
_COST_LIMITS = (*recommended_rules, depth_limit_validator(max_depth=MAX_DEPTH))


def execute_operation(
    schema: graphene.Schema,
    query: str,
    *,
    variables: dict[str, Any] | None = None,
    operation_name: str | None = None,
    context: GraphQLContext,
) -> dict[str, Any]:
    """The GraphQL response (``data`` and/or ``errors``) for one request."""
    try:
        document = parse(query, max_lexical_tokens=MAX_TOKENS)
    except GraphQLError as error:
        return {"errors": [_with_code(error, "GRAPHQL_PARSE_FAILED")]}
    # The depth rule follows fragment spreads without checking them, so an unknown or cyclic
    # fragment would crash it: it only runs on documents the standard rules accept.
    invalid = validate(schema.graphql_schema, document) or validate(schema.graphql_schema, document, _COST_LIMITS)
    if invalid:
        return {"errors": [_with_code(error, "GRAPHQL_VALIDATION_FAILED") for error in invalid]}
    result = execute_sync(
        schema.graphql_schema,
        document,
        context_value=context,
        variable_values=variables,
        operation_name=operation_name,
    )
    errors = result.errors or []
    response: dict[str, Any] = {"errors": [format_error(error) for error in errors]} if errors else {}
    # A request that failed before any field ran (bad variables, unknown operation) has no data at all.
    if result.data is not None or any(error.path is not None for error in errors):
        response["data"] = result.data
    return response


def format_error(error: GraphQLError) -> dict[str, Any]:
    original = error.original_error
    if isinstance(original, DomainError):
        message, extensions = _describe(original)
        return {**error.formatted, "message": message, "extensions": extensions}
    if error.path is None:
        # Raised before any resolver ran: the variables or the operation name do not fit the document.
        return _with_code(error, "BAD_USER_INPUT")
    logger.error("GraphQL field %s failed: %s", ".".join(map(str, error.path)), error.message, exc_info=original)
    return {**error.formatted, "message": "Internal server error", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}


def _describe(error: DomainError) -> tuple[str, dict[str, Any]]:
    message = error.detail
    extensions: dict[str, Any] = {"code": error.kind.value, "reason": error.code}
    if isinstance(error, InvalidInput) and error.errors:
        # The core names fields as Python does; clients know them by their GraphQL names.
        fields = [{"field": to_camel_case(e.field), "message": e.message} for e in error.errors]
        extensions["fields"] = fields
        message = "; ".join(f"{f['field']}: {f['message']}" for f in fields)
    if isinstance(error, RateLimited):
        extensions["retryAfterSeconds"] = error.retry_after_seconds
    return message, extensions


def _with_code(error: GraphQLError, code: str) -> dict[str, Any]:
    return {**error.formatted, "extensions": {"code": code}}
