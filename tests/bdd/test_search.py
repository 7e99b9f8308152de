from pytest_bdd import scenarios

from tests.bdd.listing_steps import *  # noqa: F403 - the shared steps must be in this module's namespace

scenarios("search.feature")
