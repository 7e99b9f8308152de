"""Running one GraphQL request: parse, validate, execute, and turn every failure into a client-safe error.

Errors are mapped here, once, after execution: resolvers simply let the core's ``DomainError`` rise.
"""

from __future__ import annotations

import logging
import re
from typing import Any, cast

import graphene
from graphene.utils.str_converters import to_camel_case
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLArgument,
    GraphQLError,
    GraphQLNamedType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    execute_sync,
    get_named_type,
    parse,
    validate,
)
from graphql.validation import NoSchemaIntrospectionCustomRule, recommended_rules

from adapters.graphql.context import GraphQLContext
from airbnb_core.domain.errors import DomainError, ErrorKind, InvalidInput
from airbnb_core.domain.pagination import LIMIT_MAX

logger = logging.getLogger(__name__)

MAX_DEPTH = 10
# The records an operation may ask for: two full pages of 100 properties with 100 reviews each.
MAX_NODES = 20_200
# Bounds parser work on documents that are small in bytes but dense in tokens.
MAX_TOKENS = 5_000


class CostLimitRule(ValidationRule):
    """Refuses operations nested deeper than ``MAX_DEPTH`` or that may return more than ``MAX_NODES`` records.

    Records are counted as GitHub's API counts them: each list field's ``limit`` times the limits
    of the lists around it (a variable counts as the largest limit), summed over the whole
    operation, aliases included. Each fragment is measured once, so fragments spread many times
    cannot make the measuring itself expensive (graphene's depth rule walks a fragment again at
    every spread: exponential time).
    """

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self._fragments: dict[str, tuple[int, int]] = {}

    def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
        # The standard rules ran first: every type, field and fragment named here exists.
        root = cast(GraphQLNamedType, self.context.schema.get_root_type(node.operation))
        depth, nodes = self._measure(root, node.selection_set)
        name = node.name.value if node.name else "anonymous"
        if depth > MAX_DEPTH:
            self.report_error(GraphQLError(f"'{name}' exceeds maximum operation depth of {MAX_DEPTH}.", node))
        if nodes > MAX_NODES:
            self.report_error(
                GraphQLError(f"'{name}' may return {nodes} records, more than the {MAX_NODES} allowed.", node)
            )

    def _measure(self, parent: GraphQLNamedType, selections: SelectionSetNode) -> tuple[int, int]:
        """The depth of a selection set and the records it may return, per instance of ``parent``."""
        depth = nodes = 0
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                field = getattr(parent, "fields", {}).get(selection.name.value)
                if field is None or selection.selection_set is None:  # a leaf, or introspection
                    continue
                size = _list_size(field.args.get("limit"), selection)
                child_depth, child_nodes = self._measure(get_named_type(field.type), selection.selection_set)
                depth = max(depth, 1 + child_depth)
                nodes += size + size * child_nodes if size else child_nodes
                continue
            if isinstance(selection, FragmentSpreadNode):
                child_depth, child_nodes = self._measure_fragment(selection.name.value)
            else:
                inline = cast(InlineFragmentNode, selection)
                condition = inline.type_condition
                child_type = self.context.schema.get_type(condition.name.value) if condition else parent
                child_depth, child_nodes = self._measure(cast(GraphQLNamedType, child_type), inline.selection_set)
            depth, nodes = max(depth, child_depth), nodes + child_nodes
        return depth, nodes

    def _measure_fragment(self, name: str) -> tuple[int, int]:
        if name not in self._fragments:
            fragment = cast(FragmentDefinitionNode, self.context.get_fragment(name))
            fragment_type = self.context.schema.get_type(fragment.type_condition.name.value)
            self._fragments[name] = self._measure(cast(GraphQLNamedType, fragment_type), fragment.selection_set)
        return self._fragments[name]


# recommended_rules bounds the nesting of introspection fields, which CostLimitRule leaves out.
_COST_LIMITS = (*recommended_rules, CostLimitRule)
_COST_LIMITS_WITHOUT_INTROSPECTION = (*_COST_LIMITS, NoSchemaIntrospectionCustomRule)
# graphql-core appends "Did you mean 'me'?" to unknown names: a way to read the schema without introspection.
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


def _list_size(limit: GraphQLArgument | None, field: FieldNode) -> int:
    """How many records a field may return: its ``limit``, or 0 for a field that is no paginated list."""
    if limit is None:
        return 0
    given = next((arg.value for arg in field.arguments if arg.name.value == "limit"), None)
    if given is None:
        return limit.default_value if isinstance(limit.default_value, int) else LIMIT_MAX
    if isinstance(given, IntValueNode):
        # A larger limit fails in the core with a clearer message than this rule could give.
        return max(0, min(int(given.value), LIMIT_MAX))
    return LIMIT_MAX


def execute_operation(
    schema: graphene.Schema,
    query: str,
    *,
    variables: dict[str, Any] | None = None,
    operation_name: str | None = None,
    context: GraphQLContext,
    introspection: bool = True,
) -> dict[str, Any]:
    """The GraphQL response (``data`` and/or ``errors``) for one request; without ``introspection``
    the schema cannot be queried and validation errors name no fields the client did not send."""
    try:
        document = parse(query, max_lexical_tokens=MAX_TOKENS)
    except GraphQLError as error:
        return {"errors": [_with_code(error, "GRAPHQL_PARSE_FAILED")]}
    # The cost rule follows fragment spreads without checking them, so an unknown or cyclic
    # fragment would crash it: it only runs on documents the standard rules accept.
    invalid = validate(schema.graphql_schema, document) or validate(
        schema.graphql_schema, document, _COST_LIMITS if introspection else _COST_LIMITS_WITHOUT_INTROSPECTION
    )
    if invalid:
        reported = [_with_code(error, "GRAPHQL_VALIDATION_FAILED") for error in invalid]
        if not introspection:
            reported = [{**error, "message": _SUGGESTION.sub("", error["message"])} for error in reported]
        return {"errors": reported}
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
    if error.retry_after_seconds is not None:
        extensions["retryAfterSeconds"] = error.retry_after_seconds
    return message, extensions


def unavailable_retry_after(response: dict[str, Any]) -> int | None:
    """Seconds to wait when no field of a response was answered because the database was unreachable, else None.

    GraphQL answers 200 with partial data when some fields fail; when none could be answered
    because of an outage, HTTP's 503 and Retry-After tell clients and proxies to retry.
    """
    data = response.get("data")
    if data and any(value is not None for value in data.values()):
        return None
    waits = [
        error["extensions"].get("retryAfterSeconds", 0)
        for error in response.get("errors", [])
        if error.get("extensions", {}).get("code") == ErrorKind.UNAVAILABLE.value
    ]
    return max(waits) if waits else None


def _with_code(error: GraphQLError, code: str) -> dict[str, Any]:
    return {**error.formatted, "extensions": {"code": code}}
