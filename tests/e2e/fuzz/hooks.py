"""A check for the GraphQL fuzz run: an operation may fail for the caller, never for the server.

Schemathesis counts every GraphQL ``errors`` entry as a server error, but this API reports a
refused request (bad input, no token, not found) as an error with ``extensions.code``, as GraphQL
servers do; only ``INTERNAL_SERVER_ERROR`` or an HTTP 5xx means the server failed.
"""

from __future__ import annotations

from typing import Any

import schemathesis


@schemathesis.check
def graphql_never_fails_on_the_server(ctx: Any, response: Any, case: Any) -> bool:
    if response.status_code >= 500:
        raise AssertionError(f"HTTP {response.status_code}: {response.text[:500]}")
    errors = (response.json() or {}).get("errors") or []
    internal = [e for e in errors if (e.get("extensions") or {}).get("code") == "INTERNAL_SERVER_ERROR"]
    if internal:
        raise AssertionError(f"internal server error: {internal}")
    return True
