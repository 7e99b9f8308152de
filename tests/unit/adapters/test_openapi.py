"""The OpenAPI document describes what the cached reads encode, though their handlers return ready-made bytes."""

from __future__ import annotations

from typing import Any

import pytest

import bootstrap

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
