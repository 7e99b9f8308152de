from __future__ import annotations

from pytest_bdd import scenarios

from tests.bdd.booking_steps import *  # noqa: F403 - the steps must be in this module's namespace
from tests.bdd.listing_steps import *  # noqa: F403
from tests.bdd.payment_steps import *  # noqa: F403

scenarios("bookings.feature")
