"""What each operation may answer besides success, stated in the OpenAPI document.

Every error is an RFC 9457 problem document served as ``application/problem+json``; a client
generated from the schema learns each status it must handle, and the fuzzer in the test suite
fails on any answer the schema does not name.
"""

from __future__ import annotations

from litestar._openapi.schema_generation import SchemaCreator
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Schema
from litestar.typing import FieldDefinition

from adapters.http.problems import PROBLEM_JSON
from adapters.http.schemas import Problem, Request

_MEANINGS = {
    400: "The body is not well-formed JSON",
    401: "No valid access token (`WWW-Authenticate: Bearer`)",
    402: "The payment was declined: `code` is `card_declined` or `authentication_required`; try another method",
    403: "The caller may see this but not do this",
    404: "No such resource, or not one the caller may see",
    409: "The request conflicts with the current state; `code` says how",
    413: "The body is larger than 1 MiB",
    415: "The body is not `application/json`",
    422: "Invalid input; `errors` names each field and what is wrong with it",
    429: "Too many requests; retry after `Retry-After` seconds",
    503: "A backing service is unavailable; retry after `Retry-After` seconds",
}
# Any API operation may meet bad input, the request limit or a database that is down.
_ALWAYS = (422, 429, 503)
_WITH_BODY = (400, 413, 415)


def problems(*statuses: int, body: bool = False) -> dict[int, ResponseSpec]:
    """The problem responses of an operation: ``statuses`` plus those every operation (and every body) may get."""
    every = sorted({*statuses, *_ALWAYS, *(_WITH_BODY if body else ())})
    return {
        status: ResponseSpec(Problem, description=_MEANINGS[status], media_type=PROBLEM_JSON, generate_examples=False)
        for status in every
    }


class ClosedRequestBodies(StructSchemaPlugin):
    """Request bodies refuse unknown fields; their schemas say so (``additionalProperties: false``)."""

    def is_plugin_supported_field(self, field_definition: FieldDefinition) -> bool:
        return super().is_plugin_supported_field(field_definition) and field_definition.is_subclass_of(Request)

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: SchemaCreator) -> Schema:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        schema.additional_properties = False
        return schema
