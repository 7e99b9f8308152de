"""Payment providers by name: a package installed beside the platform registers one, and
``AIRBNB_PAYMENT_PROVIDER`` selects it without any change to this project's code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bootstrap import ConfigurationError, Settings

PACKAGE = {
    "pyproject.toml": """
        [build-system]
        requires = ["setuptools>=61"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "acme-payments"
        version = "1.0"
        dependencies = []

        [project.entry-points."airbnb.payment_providers"]
        acme = "acme_payments:gateway"
    """,
    "acme_payments/__init__.py": '''
        """A third party's payment provider: Stripe's test cards, answered in memory, under its own name."""

        from airbnb_core.inmemory import InMemoryPaymentGateway


        class AcmeGateway(InMemoryPaymentGateway):
            name = "acme"


        def gateway(context):
            return AcmeGateway()
    ''',
}

# Run in a process of its own, whose import path holds the installed package: what a deployment with
# acme-payments installed would see. It pays for a booking through the platform's use cases.
PROBE = """
import json, sys
from datetime import date, timedelta
import bootstrap
from adapters.persistence import upgrade
from airbnb_core.services.accounts import RegisterUser
from airbnb_core.services.bookings import RequestBooking
from airbnb_core.services.listings import PropertyDraft
from airbnb_core.domain.stay import Stay

settings = bootstrap.Settings.from_env()
upgrade(settings.database_url)
container = bootstrap.build_container(settings)
services = container.services()
host = services.accounts.register(RegisterUser("Hana", "h@example.com", "a-long-password", True))
guest = services.accounts.register(RegisterUser("Ana", "a@example.com", "a-long-password", False))
place = services.listings.create(host, PropertyDraft(
    title="Hut", location="1 Road", city="Oslo", country="NO", latitude=59.9, longitude=10.7,
    price_per_night=10_000, currency="NOK", max_guests=2, instant_book=True))
check_in = date.today() + timedelta(days=30)
booking = services.bookings.request(guest, RequestBooking(place.id, Stay(check_in, check_in + timedelta(2)), 1))
payment = services.payments.pay(guest, booking.booking.id, "pm_card_visa")
print(json.dumps({"gateway": type(container.payment_gateway()).__name__, "provider": payment.provider,
                  "status": payment.payment_status.value}))
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``pip install`` of the third party's package (into a directory of its own, not this venv)."""
    source, target = tmp_path_factory.mktemp("acme-src"), tmp_path_factory.mktemp("acme-site")
    for name, text in PACKAGE.items():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_text(textwrap.dedent(text))
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(source)],
        check=True,
        timeout=300,
    )
    return target


def test_an_installed_third_party_provider_is_selected_by_name(site: Path, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(site), str(Path(__file__).parents[2])]),
        "AIRBNB_PAYMENT_PROVIDER": "acme",
        "AIRBNB_DATABASE_URL": f"sqlite:///{tmp_path}/acme.db",
        "AIRBNB_ENV": "test",
    }
    ran = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert json.loads(ran.stdout.splitlines()[-1]) == {
        "gateway": "AcmeGateway",
        "provider": "acme",
        "status": "succeeded",
    }


def test_without_the_package_the_name_is_refused_at_start_up_listing_the_known_ones() -> None:
    with pytest.raises(ConfigurationError, match=r"the known ones are: .*sandbox"):
        Settings.from_env({"AIRBNB_PAYMENT_PROVIDER": "acme"})
