"""The OpenAPI document describes what the encoded reads send, though their handlers return ready-made bytes."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

import bootstrap
from adapters.http.schemas import Property, PropertySummary, UserPublic
from airbnb_core.ports.queries import HostProfile, PropertyCard, PropertyView

CACHED_READS = {
    "/api/v1/properties": "PropertyPage",
    "/api/v1/properties/{property_id}": "Property",
    "/api/v1/properties/{property_id}/availability": "Availability",
    "/api/v1/properties/{property_id}/reviews": "ReviewPage",
}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    app = bootstrap.build_app(bootstrap.Settings.from_env({}))  # opens no database: nothing is served
    return app.openapi_schema.to_schema()


@pytest.mark.parametrize(("path", "body"), CACHED_READS.items())
def test_a_cached_read_documents_the_body_it_encodes(document: dict[str, Any], path: str, body: str) -> None:
    ok = document["paths"][path]["get"]["responses"]["200"]
    assert ok["content"] == {"application/json": {"schema": {"$ref": f"#/components/schemas/{body}"}}}


def test_the_documented_listing_schemas_are_the_read_views_the_endpoints_encode() -> None:
    """Pages and searches encode the core's read views as they are, and the OpenAPI document describes
    ``PropertySummary`` and ``Property``: the two must name the same fields in the same order."""

    def names(view: type) -> tuple[str, ...]:
        return tuple(field.name for field in dataclasses.fields(view))

    assert PropertySummary.__struct_fields__ == names(PropertyCard)
    assert Property.__struct_fields__ == names(PropertyView)
    assert UserPublic.__struct_fields__ == names(HostProfile)
