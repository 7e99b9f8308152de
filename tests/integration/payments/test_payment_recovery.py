"""Paying on the sandbox provider over a real database when things break between the provider and the commit.

The use cases call the provider between two transactions (airbnb_core/services/payments.py); these
tests break the process or the provider at each point and show that retrying repairs the booking
without a second charge, on PostgreSQL and on SQLite (where the sandbox needs the write lock itself).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from adapters.payments import SandboxPaymentGateway
from adapters.payments.sandbox import payment_intents
from adapters.persistence import SqlAlchemyUnitOfWork, create_engine, make_session_factory, upgrade
from airbnb_core.domain.bookings import BookingStatus
from airbnb_core.domain.errors import ServiceUnavailable
from airbnb_core.domain.payments import PaymentStatus
from airbnb_core.domain.stay import Stay
from airbnb_core.domain.users import User
from airbnb_core.inmemory import FixedClock
from airbnb_core.services import Services
from airbnb_core.services.accounts import RegisterUser
from airbnb_core.services.bookings import RequestBooking
from airbnb_core.services.listings import PropertyDraft
from tests.support.services import services_on

NOW = datetime(2030, 1, 2, 12, tzinfo=UTC)


@pytest.fixture(params=["postgresql", "sqlite"])
def engine(request: pytest.FixtureRequest) -> Iterator[sa.Engine]:
    url = str(request.getfixturevalue("postgres_url" if request.param == "postgresql" else "sqlite_url"))
    upgrade(url)
    engine = create_engine(url)
    yield engine
    engine.dispose()


class BreakableGateway(SandboxPaymentGateway):
    """The sandbox, with a process that can die right after the provider charged."""

    crash_after_charge = False

    def create(self, *args: Any, **kwargs: Any) -> Any:
        answer = super().create(*args, **kwargs)
        if self.crash_after_charge:
            raise KeyboardInterrupt("the server process died before recording the charge")
        return answer


@pytest.fixture
def gateway(engine: sa.Engine) -> BreakableGateway:
    return BreakableGateway(engine, FixedClock(NOW), webhook_secret="whsec_test")


@pytest.fixture
def services(engine: sa.Engine, gateway: BreakableGateway) -> Services:
    sessions = make_session_factory(engine)
    return services_on(lambda: SqlAlchemyUnitOfWork(sessions), clock=FixedClock(NOW), gateway=gateway)


def a_booking(services: Services) -> tuple[User, Any]:
    host = services.accounts.register(RegisterUser("Hana", "hana@example.com", "a-long-password", True))
    guest = services.accounts.register(RegisterUser("Ana", "ana@example.com", "a-long-password", False))
    draft = PropertyDraft(
        title="Loft", location="1 Quay", city="Lyon", country="FR", latitude=45.7, longitude=4.8,
        price_per_night=10_000, currency="EUR", max_guests=2, instant_book=True,
    )  # fmt: skip
    place = services.listings.create(host, draft)
    stay = Stay(date(2030, 2, 1), date(2030, 2, 3))
    return guest, services.bookings.request(guest, RequestBooking(place.id, stay, 1)).booking


def intents(engine: sa.Engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.scalars(sa.select(payment_intents.c.status)))


def test_a_process_dying_after_the_charge_is_repaired_by_the_retry_without_charging_twice(
    engine: sa.Engine, gateway: BreakableGateway, services: Services
) -> None:
    guest, booking = a_booking(services)
    gateway.crash_after_charge = True
    with pytest.raises(KeyboardInterrupt):
        services.payments.pay(guest, booking.id, "pm_card_visa")
    assert services.payments.payment(guest, booking.id).payment_status is PaymentStatus.PROCESSING
    assert intents(engine) == ["succeeded"]  # charged, not recorded

    gateway.crash_after_charge = False
    payment = services.payments.pay(guest, booking.id, "pm_card_mastercard")  # another card: still the first attempt
    assert (payment.payment_status, payment.payment_method) == (PaymentStatus.SUCCEEDED, "pm_card_visa")
    assert intents(engine) == ["succeeded"]
    assert services.bookings.view(guest, booking.id).status is BookingStatus.CONFIRMED


def test_a_provider_that_cannot_be_reached_leaves_the_attempt_to_resume(engine: sa.Engine, services: Services) -> None:
    guest, booking = a_booking(services)
    unreachable = SandboxPaymentGateway(
        create_engine("postgresql://postgres@127.0.0.1:1/none"), FixedClock(NOW), webhook_secret="x"
    )
    sessions = make_session_factory(engine)
    cut_off = services_on(lambda: SqlAlchemyUnitOfWork(sessions), clock=FixedClock(NOW), gateway=unreachable)
    with pytest.raises(ServiceUnavailable):
        cut_off.payments.pay(guest, booking.id, "pm_card_visa")
    assert intents(engine) == []
    assert services.payments.pay(guest, booking.id, "pm_card_visa").payment_status is PaymentStatus.SUCCEEDED
    assert intents(engine) == ["succeeded"]
