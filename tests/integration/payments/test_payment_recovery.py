"""Paying on the sandbox provider over a real database when things break between the provider and the commit.

The use cases call the provider between two transactions (airbnb_core/services/payments.py); these
tests break the process or the provider at each point and show that retrying repairs the booking
without a second charge, on PostgreSQL and on SQLite (where the sandbox needs the write lock itself).
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from adapters.payments import SandboxPaymentGateway
from adapters.payments.sandbox import payment_intents
from adapters.persistence import SqlAlchemyUnitOfWork, create_engine, make_session_factory, upgrade
from airbnb_core.domain.bookings import BookingStatus
from airbnb_core.domain.errors import ServiceUnavailable
from airbnb_core.domain.money import Money
from airbnb_core.domain.payments import PaymentStatus
from airbnb_core.domain.stay import Stay
from airbnb_core.domain.users import User
from airbnb_core.inmemory import FixedClock
from airbnb_core.ports.payments import ProviderEvent
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


def reconciling(engine: sa.Engine, gateway: SandboxPaymentGateway, *, minutes_later: int) -> Services:
    """The services as a scheduler runs them, ``minutes_later``."""
    sessions = make_session_factory(engine)
    later = FixedClock(NOW + timedelta(minutes=minutes_later))
    return services_on(lambda: SqlAlchemyUnitOfWork(sessions), clock=later, gateway=gateway)


def test_reconciliation_confirms_a_booking_charged_by_a_process_that_died_before_its_commit(
    engine: sa.Engine, gateway: BreakableGateway, services: Services
) -> None:
    guest, booking = a_booking(services)
    gateway.crash_after_charge = True
    with pytest.raises(KeyboardInterrupt):
        services.payments.pay(guest, booking.id, "pm_card_visa")
    gateway.crash_after_charge = False

    assert services.payments.reconcile() == 0  # too recent: the attempt may still be under way
    scheduler = reconciling(engine, gateway, minutes_later=2)
    assert scheduler.payments.reconcile() == 1
    assert services.bookings.view(guest, booking.id).status is BookingStatus.CONFIRMED
    assert services.payments.payment(guest, booking.id).payment_status is PaymentStatus.SUCCEEDED
    assert intents(engine) == ["succeeded"]  # one charge
    assert scheduler.payments.reconcile() == 0  # nothing left to repair


def test_reconciliation_resumes_an_attempt_whose_provider_call_failed_after_our_commit(
    engine: sa.Engine, services: Services, gateway: BreakableGateway
) -> None:
    guest, booking = a_booking(services)
    unreachable = SandboxPaymentGateway(
        create_engine("postgresql://postgres@127.0.0.1:1/none"), FixedClock(NOW), webhook_secret="x"
    )
    sessions = make_session_factory(engine)
    cut_off = services_on(lambda: SqlAlchemyUnitOfWork(sessions), clock=FixedClock(NOW), gateway=unreachable)
    with pytest.raises(ServiceUnavailable):
        cut_off.payments.pay(guest, booking.id, "pm_card_visa")
    assert intents(engine) == []

    assert reconciling(engine, unreachable, minutes_later=2).payments.reconcile() == 0  # still away: later
    assert services.payments.payment(guest, booking.id).payment_status is PaymentStatus.PROCESSING
    assert reconciling(engine, gateway, minutes_later=3).payments.reconcile() == 1
    assert services.bookings.view(guest, booking.id).status is BookingStatus.CONFIRMED
    assert intents(engine) == ["succeeded"]


def test_reconciliation_records_a_refund_the_provider_made_and_our_commit_missed(
    engine: sa.Engine, gateway: BreakableGateway, services: Services
) -> None:
    guest, booking = a_booking(services)
    payment = services.payments.pay(guest, booking.id, "pm_card_visa")
    assert payment.provider_payment_id is not None
    gateway.refund(payment.provider_payment_id, Money(5_000, "EUR"), idempotency_key="lost-refund")

    assert reconciling(engine, gateway, minutes_later=2).payments.reconcile() == 1
    recorded = services.payments.payment(guest, booking.id)
    assert (recorded.payment_status, recorded.refunded_amount) == (PaymentStatus.PARTIALLY_REFUNDED, 5_000)
    assert reconciling(engine, gateway, minutes_later=3).payments.reconcile() == 0


def test_two_concurrent_deliveries_of_one_event_apply_it_once(
    engine: sa.Engine, gateway: BreakableGateway, services: Services
) -> None:
    guest, booking = a_booking(services)
    payment = services.payments.pay(guest, booking.id, "pm_card_visa")
    assert payment.provider_payment_id is not None
    gateway.refund(payment.provider_payment_id, Money(4_000, "EUR"), idempotency_key="refund-by-dashboard")
    event = ProviderEvent("evt_twice", "charge.refunded", payment.provider_payment_id, amount_refunded=4_000)
    sessions = make_session_factory(engine)

    def deliver() -> bool:
        # Each delivery on its own services, as two server processes would receive it.
        own = services_on(lambda: SqlAlchemyUnitOfWork(sessions), clock=FixedClock(NOW), gateway=gateway)
        return own.payments.apply_provider_event(event)

    with ThreadPoolExecutor(2) as pool:
        applied = [future.result() for future in [pool.submit(deliver) for _ in range(2)]]
    assert sorted(applied) == [False, True]
    assert services.payments.payment(guest, booking.id).refunded_amount == 4_000
