from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.localstripe import running_localstripe


@pytest.fixture(scope="session")
def localstripe_url() -> Iterator[str]:
    """One localstripe for the session: every test makes intents of its own, so none sees another's."""
    with running_localstripe() as url:
        yield url
