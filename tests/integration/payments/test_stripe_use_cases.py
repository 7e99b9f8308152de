"""The booking use cases paying through the Stripe gateway, over HTTP to localstripe, on PostgreSQL.

What the core records is compared with what Stripe holds, so each step is shown to have happened at
the provider too, not only in our tables.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from adapters.payments.stripe import StripePaymentGateway, stripe_client
from adapters.persistence import SqlAlchemyUnitOfWork, create_engine, make_session_factory, upgrade
from airbnb_core.domain.bookings import BookingStatus
from airbnb_core.domain.errors import PaymentDeclined
from airbnb_core.domain.payments import PaymentStatus
from airbnb_core.domain.stay import Stay
from airbnb_core.domain.users import User
from airbnb_core.inmemory import FixedClock
from airbnb_core.ports.payments import IntentStatus
from airbnb_core.services import Services
from airbnb_core.services.accounts import RegisterUser
from airbnb_core.services.bookings import RequestBooking
from airbnb_core.services.listings import PropertyDraft
from tests.support.localstripe import API_KEY
from tests.support.services import services_on

NOW = datetime(2030, 1, 2, 12, tzinfo=UTC)
# Ten days ahead: a strict policy gives the guest half back.
STAY = Stay(date(2030, 1, 12), date(2030, 1, 14))


@pytest.fixture
def engine(postgres_url: str) -> Iterator[sa.Engine]:
    upgrade(postgres_url)
    engine = create_engine(postgres_url)
    yield engine
    engine.dispose()


@pytest.fixture
def gateway(localstripe_url: str) -> StripePaymentGateway:
    return StripePaymentGateway(stripe_client(API_KEY, localstripe_url, max_network_retries=0), webhook_secret=None)


@pytest.fixture
def services(engine: sa.Engine, gateway: StripePaymentGateway) -> Services:
    sessions = make_session_factory(engine)
    return services_on(lambda: SqlAlchemyUnitOfWork(sessions), clock=FixedClock(NOW), gateway=gateway)


@dataclasses.dataclass
class Parties:
    host: User
    guest: User


@pytest.fixture
def parties(services: Services) -> Parties:
    host = services.accounts.register(RegisterUser("Hana", "hana@example.com", "a-long-password", True))
    guest = services.accounts.register(RegisterUser("Ana", "ana@example.com", "a-long-password", False))
    return Parties(host, guest)


def a_booking(services: Services, parties: Parties, *, instant_book: bool) -> Any:
    draft = PropertyDraft(
        title="Loft", location="1 Quay", city="Lyon", country="FR", latitude=45.7, longitude=4.8,
        price_per_night=10_000, currency="EUR", max_guests=2, instant_book=instant_book,
        cancellation_policy="strict",
    )  # fmt: skip
    place = services.listings.create(parties.host, draft)
    return services.bookings.request(parties.guest, RequestBooking(place.id, STAY, 1)).booking


def test_instant_book_charges_the_card_and_confirms(
    services: Services, parties: Parties, gateway: StripePaymentGateway
) -> None:
    booking = a_booking(services, parties, instant_book=True)
    payment = services.payments.pay(parties.guest, booking.id, "pm_card_visa")
    assert payment.payment_status is PaymentStatus.SUCCEEDED and payment.provider == "stripe"
    assert services.bookings.view(parties.guest, booking.id).status is BookingStatus.CONFIRMED
    assert payment.provider_payment_id is not None
    intent = gateway.retrieve(payment.provider_payment_id)
    assert (intent.status, intent.amount, intent.amount_captured) == (
        IntentStatus.SUCCEEDED,
        payment.amount,
        payment.amount,
    )


def test_a_request_is_authorized_and_the_hosts_approval_captures_it(
    services: Services, parties: Parties, gateway: StripePaymentGateway
) -> None:
    booking = a_booking(services, parties, instant_book=False)
    payment = services.payments.pay(parties.guest, booking.id, "pm_card_visa")
    assert payment.payment_status is PaymentStatus.AUTHORIZED and payment.provider_payment_id is not None
    assert services.bookings.view(parties.guest, booking.id).status is BookingStatus.REQUESTED
    assert gateway.retrieve(payment.provider_payment_id).status is IntentStatus.REQUIRES_CAPTURE

    assert services.payments.approve(parties.host, booking.id).status is BookingStatus.CONFIRMED
    assert services.payments.payment(parties.guest, booking.id).payment_status is PaymentStatus.SUCCEEDED
    intent = gateway.retrieve(payment.provider_payment_id)
    assert (intent.status, intent.amount_captured) == (IntentStatus.SUCCEEDED, payment.amount)


def test_the_hosts_decline_releases_the_authorization(
    services: Services, parties: Parties, gateway: StripePaymentGateway
) -> None:
    booking = a_booking(services, parties, instant_book=False)
    payment = services.payments.pay(parties.guest, booking.id, "pm_card_visa")
    assert payment.provider_payment_id is not None
    assert services.payments.decline(parties.host, booking.id).status is BookingStatus.DECLINED
    assert services.payments.payment(parties.guest, booking.id).payment_status is PaymentStatus.VOIDED
    intent = gateway.retrieve(payment.provider_payment_id)
    assert (intent.status, intent.amount_captured) == (IntentStatus.CANCELED, 0)


def test_the_guests_cancellation_refunds_the_policys_share_at_stripe(
    services: Services, parties: Parties, gateway: StripePaymentGateway
) -> None:
    booking = a_booking(services, parties, instant_book=True)
    payment = services.payments.pay(parties.guest, booking.id, "pm_card_visa")
    assert payment.provider_payment_id is not None
    refund = services.bookings.cancellation_preview(parties.guest, booking.id).refund
    assert 0 < refund.amount < payment.amount  # strict, ten days ahead: a part

    assert services.bookings.cancel(parties.guest, booking.id).status is BookingStatus.CANCELLED
    recorded = services.payments.payment(parties.guest, booking.id)
    assert (recorded.payment_status, recorded.refunded_amount) == (PaymentStatus.PARTIALLY_REFUNDED, refund.amount)
    assert gateway.retrieve(payment.provider_payment_id).amount_refunded == refund.amount


def test_a_declined_card_is_a_payment_declined_and_another_card_then_pays(
    services: Services, parties: Parties, gateway: StripePaymentGateway
) -> None:
    booking = a_booking(services, parties, instant_book=True)
    with pytest.raises(PaymentDeclined) as declined:
        services.payments.pay(parties.guest, booking.id, "pm_card_chargeCustomerFail")
    assert declined.value.code == "card_declined"
    failed = services.payments.payment(parties.guest, booking.id)
    assert (failed.payment_status, failed.failure_code) == (PaymentStatus.FAILED, "card_declined")
    assert failed.provider_payment_id is not None
    assert gateway.retrieve(failed.provider_payment_id).status is IntentStatus.FAILED
    assert services.bookings.view(parties.guest, booking.id).status is BookingStatus.PENDING

    assert services.payments.pay(parties.guest, booking.id, "pm_card_visa").payment_status is PaymentStatus.SUCCEEDED
    assert services.bookings.view(parties.guest, booking.id).status is BookingStatus.CONFIRMED
