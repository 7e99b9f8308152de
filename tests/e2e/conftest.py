"""What the end-to-end modules share: each defines its own ``server`` (a database, a provider, a clock), and
``api`` talks to whichever one it is."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support.stack import LiveServer


@pytest.fixture(scope="module")
def api(server: LiveServer) -> Iterator[httpx.Client]:
    """An HTTP client of the module's server, on the REST API's base path."""
    with httpx.Client(base_url=server.url + "/api/v1", timeout=30) as client:
        yield client
