from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_bdd import scenarios

from tests.bdd.booking_steps import *  # noqa: F403 - the steps must be in this module's namespace
from tests.bdd.conftest import DRIVERS, drive
from tests.bdd.drivers import Driver
from tests.bdd.listing_steps import *  # noqa: F403
from tests.bdd.payment_steps import *  # noqa: F403

scenarios("payments.feature")


@pytest.fixture(params=[*DRIVERS, "rest-stripe"], autouse=True)
def driver(request: pytest.FixtureRequest) -> Iterator[Driver]:
    """The same scenarios on the Stripe provider too (localstripe): swapping providers is configuration only."""
    yield from drive(request)
