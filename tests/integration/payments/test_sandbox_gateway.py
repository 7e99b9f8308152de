"""The sandbox payment provider on PostgreSQL and SQLite, migrated to head."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from adapters.payments import SandboxPaymentGateway
from adapters.payments.sandbox import metadata, payment_intents, refunds
from adapters.persistence import create_engine, upgrade
from airbnb_core.domain.errors import (
    Conflict,
    InvalidInput,
    InvalidTransition,
    NotFound,
    ServiceUnavailable,
)
from airbnb_core.domain.money import Money
from airbnb_core.inmemory import FixedClock
from airbnb_core.ports.payments import ProviderOutcome, ProviderPayment

NOW = datetime(2030, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
HUNDRED = Money(10_000, "EUR")
T = TypeVar("T")


@pytest.fixture(params=["postgresql", "sqlite"])
def database_url(request: pytest.FixtureRequest) -> str:
    url = str(request.getfixturevalue("postgres_url" if request.param == "postgresql" else "sqlite_url"))
    upgrade(url)
    return url


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def gateway(engine: sa.Engine, clock: FixedClock) -> SandboxPaymentGateway:
    return SandboxPaymentGateway(engine, clock, webhook_secret="whsec_test")


def stored_intents(engine: sa.Engine) -> list[sa.Row[Any]]:
    with engine.connect() as connection:
        return list(connection.execute(sa.select(payment_intents).order_by(payment_intents.c.created_at)))


def stored_intent(engine: sa.Engine, intent_id: str) -> sa.Row[Any]:
    with engine.connect() as connection:
        return connection.execute(sa.select(payment_intents).where(payment_intents.c.id == intent_id)).one()


def refund_count(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(sa.select(sa.func.count()).select_from(refunds)) or 0


def all_at_once(count: int, call: Callable[[int], T]) -> list[T | Exception]:
    """``call(0)`` … ``call(count - 1)`` on as many threads, released together; results or errors, in order."""
    start = threading.Barrier(count)

    def run(n: int) -> T | Exception:
        start.wait()
        try:
            return call(n)
        except Exception as error:
            return error

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


@pytest.mark.parametrize("method", ["pm_card_visa", "pm_card_mastercard"])
@pytest.mark.parametrize(
    ("capture", "outcome", "status", "captured"),
    [
        (True, ProviderOutcome.SUCCEEDED, "succeeded", 10_000),
        (False, ProviderOutcome.AUTHORIZED, "requires_capture", 0),
    ],
)
def test_cards_that_succeed_are_charged_or_only_authorized(
    gateway: SandboxPaymentGateway,
    engine: sa.Engine,
    method: str,
    capture: bool,
    outcome: ProviderOutcome,
    status: str,
    captured: int,
) -> None:
    payment = gateway.create(HUNDRED, payment_method=method, capture=capture, idempotency_key="k1")
    assert payment.outcome is outcome and payment.decline_reason is None
    assert payment.provider_payment_id.startswith("pi_sandbox_") and len(payment.provider_payment_id) == 35
    [intent] = stored_intents(engine)
    assert (intent.id, intent.status, intent.amount, intent.currency, intent.payment_method) == (
        payment.provider_payment_id,
        status,
        10_000,
        "EUR",
        method,
    )
    assert (intent.amount_captured, intent.amount_refunded) == (captured, 0)
    assert intent.created_at == intent.updated_at == NOW


@pytest.mark.parametrize(
    ("method", "reason"),
    [
        ("pm_card_chargeDeclined", "card_declined"),
        ("pm_card_chargeDeclinedInsufficientFunds", "insufficient_funds"),
        ("pm_card_authenticationRequired", "authentication_required"),
    ],
)
@pytest.mark.parametrize("capture", [True, False])
def test_declining_cards_are_declined_with_stripes_reason_and_cannot_be_captured(
    gateway: SandboxPaymentGateway, engine: sa.Engine, method: str, reason: str, capture: bool
) -> None:
    payment = gateway.create(HUNDRED, payment_method=method, capture=capture, idempotency_key="k1")
    assert (payment.outcome, payment.decline_reason) == (ProviderOutcome.DECLINED, reason)
    intent = stored_intent(engine, payment.provider_payment_id)
    assert (intent.status, intent.decline_code, intent.amount_captured) == ("failed", reason, 0)
    with pytest.raises(InvalidTransition):
        gateway.capture(payment.provider_payment_id)
    with pytest.raises(InvalidTransition):
        gateway.refund(payment.provider_payment_id, HUNDRED, idempotency_key="r1")


def test_an_unknown_payment_method_is_invalid_input_and_stores_nothing(
    gateway: SandboxPaymentGateway, engine: sa.Engine
) -> None:
    with pytest.raises(InvalidInput) as refused:
        gateway.create(HUNDRED, payment_method="pm_card_amex_typo", capture=True, idempotency_key="k1")
    [error] = refused.value.errors
    assert error.field == "payment_method"
    assert "pm_card_visa" in error.message and "pm_card_authenticationRequired" in error.message
    assert stored_intents(engine) == []


@pytest.mark.parametrize("amount", [0, -1])
def test_a_charge_or_refund_of_nothing_is_invalid_input(
    gateway: SandboxPaymentGateway, engine: sa.Engine, amount: int
) -> None:
    with pytest.raises(InvalidInput):
        gateway.create(Money(amount, "EUR"), payment_method="pm_card_visa", capture=True, idempotency_key="k1")
    paid = gateway.create(HUNDRED, payment_method="pm_card_visa", capture=True, idempotency_key="k2")
    with pytest.raises(InvalidInput):
        gateway.refund(paid.provider_payment_id, Money(amount, "EUR"), idempotency_key="r1")
    assert refund_count(engine) == 0


def test_authorize_capture_refund_part_refund_the_rest_then_nothing_more(
    gateway: SandboxPaymentGateway, engine: sa.Engine, clock: FixedClock
) -> None:
    payment = gateway.create(HUNDRED, payment_method="pm_card_visa", capture=False, idempotency_key="pay")
    intent_id = payment.provider_payment_id
    with pytest.raises(InvalidTransition):  # nothing is captured yet
        gateway.refund(intent_id, Money(1, "EUR"), idempotency_key="too-early")

    clock.advance(timedelta(hours=2))
    gateway.capture(intent_id)
    gateway.capture(intent_id)  # a retried capture changes nothing
    captured = stored_intent(engine, intent_id)
    assert (captured.status, captured.amount_captured, captured.updated_at) == (
        "succeeded",
        10_000,
        NOW + timedelta(hours=2),
    )

    gateway.refund(intent_id, Money(3_000, "EUR"), idempotency_key="refund-1")
    assert stored_intent(engine, intent_id).amount_refunded == 3_000
    gateway.refund(intent_id, Money(7_000, "EUR"), idempotency_key="refund-2")
    with pytest.raises(InvalidTransition, match="exceeds"):
        gateway.refund(intent_id, Money(1, "EUR"), idempotency_key="refund-3")

    refunded = stored_intent(engine, intent_id)
    assert (refunded.status, refunded.amount_captured, refunded.amount_refunded) == ("succeeded", 10_000, 10_000)
    assert refund_count(engine) == 2  # the refused refund left no row


def test_void_releases_an_authorization_once_and_then_nothing_else_applies(
    gateway: SandboxPaymentGateway, engine: sa.Engine
) -> None:
    intent_id = gateway.create(
        HUNDRED, payment_method="pm_card_visa", capture=False, idempotency_key="k"
    ).provider_payment_id
    gateway.void(intent_id)
    gateway.void(intent_id)  # a retried void changes nothing
    assert (stored_intent(engine, intent_id).status, stored_intent(engine, intent_id).amount_captured) == (
        "canceled",
        0,
    )
    with pytest.raises(InvalidTransition, match="canceled"):
        gateway.capture(intent_id)
    with pytest.raises(InvalidTransition, match="canceled"):
        gateway.refund(intent_id, HUNDRED, idempotency_key="r")


def test_a_captured_charge_cannot_be_voided(gateway: SandboxPaymentGateway, engine: sa.Engine) -> None:
    intent_id = gateway.create(
        HUNDRED, payment_method="pm_card_visa", capture=True, idempotency_key="k"
    ).provider_payment_id
    with pytest.raises(InvalidTransition, match="succeeded"):
        gateway.void(intent_id)
    assert stored_intent(engine, intent_id).status == "succeeded"


def test_an_unknown_intent_is_not_found(gateway: SandboxPaymentGateway) -> None:
    with pytest.raises(NotFound):
        gateway.capture("pi_sandbox_nope")
    with pytest.raises(NotFound):
        gateway.void("pi_sandbox_nope")
    with pytest.raises(NotFound):
        gateway.refund("pi_sandbox_nope", HUNDRED, idempotency_key="r")


def test_a_retried_create_replays_the_first_answer_without_a_second_charge(
    gateway: SandboxPaymentGateway, engine: sa.Engine
) -> None:
    first = gateway.create(HUNDRED, payment_method="pm_card_visa", capture=False, idempotency_key="pay")
    assert gateway.create(HUNDRED, payment_method="pm_card_visa", capture=False, idempotency_key="pay") == first
    # As on Stripe, the replay is the first answer even after the intent moved on.
    gateway.capture(first.provider_payment_id)
    assert gateway.create(HUNDRED, payment_method="pm_card_visa", capture=False, idempotency_key="pay") == first

    declined = gateway.create(HUNDRED, payment_method="pm_card_chargeDeclined", capture=True, idempotency_key="try")
    assert gateway.create(HUNDRED, payment_method="pm_card_chargeDeclined", capture=True, idempotency_key="try") == (
        ProviderPayment(declined.provider_payment_id, ProviderOutcome.DECLINED, "card_declined")
    )
    assert len(stored_intents(engine)) == 2


@pytest.mark.parametrize(
    "other",
    [
        {"amount": Money(9_999, "EUR")},
        {"amount": Money(10_000, "USD")},
        {"payment_method": "pm_card_mastercard"},
        {"capture": False},
    ],
)
def test_a_used_key_with_other_parameters_is_refused(
    gateway: SandboxPaymentGateway, engine: sa.Engine, other: dict[str, Any]
) -> None:
    request: dict[str, Any] = {"amount": HUNDRED, "payment_method": "pm_card_visa", "capture": True}
    gateway.create(**request, idempotency_key="pay")
    with pytest.raises(Conflict) as refused:
        gateway.create(**{**request, **other}, idempotency_key="pay")
    assert refused.value.code == "idempotency_key_reused"
    assert len(stored_intents(engine)) == 1


def test_a_retried_refund_refunds_once_and_its_key_cannot_be_reused_for_another(
    gateway: SandboxPaymentGateway, engine: sa.Engine
) -> None:
    intent_id = gateway.create(
        HUNDRED, payment_method="pm_card_visa", capture=True, idempotency_key="a"
    ).provider_payment_id
    other_id = gateway.create(
        HUNDRED, payment_method="pm_card_visa", capture=True, idempotency_key="b"
    ).provider_payment_id
    gateway.refund(intent_id, Money(4_000, "EUR"), idempotency_key="refund")
    gateway.refund(intent_id, Money(4_000, "EUR"), idempotency_key="refund")
    assert stored_intent(engine, intent_id).amount_refunded == 4_000
    for intent, amount in [(intent_id, Money(4_001, "EUR")), (other_id, Money(4_000, "EUR"))]:
        with pytest.raises(Conflict) as refused:
            gateway.refund(intent, amount, idempotency_key="refund")
        assert refused.value.code == "idempotency_key_reused"
    assert (stored_intent(engine, intent_id).amount_refunded, stored_intent(engine, other_id).amount_refunded) == (
        4_000,
        0,
    )
    assert refund_count(engine) == 1


def test_a_refund_in_another_currency_is_invalid_input(gateway: SandboxPaymentGateway, engine: sa.Engine) -> None:
    intent_id = gateway.create(
        HUNDRED, payment_method="pm_card_visa", capture=True, idempotency_key="k"
    ).provider_payment_id
    with pytest.raises(InvalidInput):
        gateway.refund(intent_id, Money(1_000, "USD"), idempotency_key="r")
    assert refund_count(engine) == 0


def test_twenty_requests_at_once_with_one_key_make_one_intent_and_all_get_its_answer(
    gateway: SandboxPaymentGateway, engine: sa.Engine
) -> None:
    answers = all_at_once(
        20, lambda _: gateway.create(HUNDRED, payment_method="pm_card_visa", capture=True, idempotency_key="same")
    )
    [intent] = stored_intents(engine)
    assert answers == [ProviderPayment(intent.id, ProviderOutcome.SUCCEEDED)] * 20


def test_concurrent_refunds_of_thirty_percent_never_refund_more_than_was_captured(
    gateway: SandboxPaymentGateway, engine: sa.Engine
) -> None:
    # PostgreSQL queues the conditional UPDATEs on the intent's row; SQLite serializes the whole
    # transactions (BEGIN IMMEDIATE). Either way exactly three of ten 30% refunds fit.
    intent_id = gateway.create(
        HUNDRED, payment_method="pm_card_visa", capture=True, idempotency_key="k"
    ).provider_payment_id
    answers = all_at_once(10, lambda n: gateway.refund(intent_id, Money(3_000, "EUR"), idempotency_key=f"refund-{n}"))
    refused = [answer for answer in answers if isinstance(answer, Exception)]
    assert len(refused) == 7 and all(isinstance(error, InvalidTransition) for error in refused)
    assert stored_intent(engine, intent_id).amount_refunded == 9_000
    assert refund_count(engine) == 3


def test_concurrent_retries_of_one_refund_refund_once(gateway: SandboxPaymentGateway, engine: sa.Engine) -> None:
    intent_id = gateway.create(
        HUNDRED, payment_method="pm_card_visa", capture=True, idempotency_key="k"
    ).provider_payment_id
    answers = all_at_once(10, lambda _: gateway.refund(intent_id, Money(6_000, "EUR"), idempotency_key="once"))
    assert answers == [None] * 10
    assert stored_intent(engine, intent_id).amount_refunded == 6_000
    assert refund_count(engine) == 1


def test_two_gateways_on_one_database_share_every_intent(database_url: str, clock: FixedClock) -> None:
    # Two engines with pools of their own, as two server worker processes have: nothing is shared
    # but the database.
    engines = [create_engine(database_url), create_engine(database_url)]
    try:
        one, other = (SandboxPaymentGateway(engine, clock, webhook_secret="whsec_test") for engine in engines)
        payment = one.create(HUNDRED, payment_method="pm_card_visa", capture=False, idempotency_key="pay")
        assert other.create(HUNDRED, payment_method="pm_card_visa", capture=False, idempotency_key="pay") == payment
        other.capture(payment.provider_payment_id)
        one.refund(payment.provider_payment_id, Money(2_500, "EUR"), idempotency_key="refund")
        other.refund(payment.provider_payment_id, Money(2_500, "EUR"), idempotency_key="refund")
        intent = stored_intent(engines[0], payment.provider_payment_id)
        assert (intent.status, intent.amount_refunded) == ("succeeded", 2_500)
    finally:
        for engine in engines:
            engine.dispose()


def test_the_database_refuses_a_refund_beyond_the_captured_amount(
    gateway: SandboxPaymentGateway, engine: sa.Engine
) -> None:
    # The gateway never asks for this; the CHECK constraint is there for whatever else writes the table.
    intent_id = gateway.create(
        HUNDRED, payment_method="pm_card_visa", capture=True, idempotency_key="k"
    ).provider_payment_id
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
        connection.execute(
            sa.update(payment_intents).where(payment_intents.c.id == intent_id).values(amount_refunded=10_001)
        )


def test_the_migrated_sandbox_tables_match_the_gateways_tables(engine: sa.Engine) -> None:
    # Columns, types, nullability, keys, unique constraints and indexes, as alembic compares them;
    # the application's own tables are not even reflected.
    def is_sandbox(name: str | None, type_: str, parent_names: object) -> bool:
        return type_ != "table" or name in metadata.tables

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_name": is_sandbox})
        assert compare_metadata(context, metadata) == []
    # alembic does not compare CHECK constraints; their names at least must agree.
    inspector = sa.inspect(engine)
    for table in metadata.tables.values():
        declared = {c.name for c in table.constraints if isinstance(c, sa.CheckConstraint)}
        assert {c["name"] for c in inspector.get_check_constraints(table.name)} == declared


def test_an_unreachable_database_is_a_provider_outage(clock: FixedClock) -> None:
    engine = create_engine("postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=1")
    gateway = SandboxPaymentGateway(engine, clock, webhook_secret="whsec_test")
    with pytest.raises(ServiceUnavailable):
        gateway.create(HUNDRED, payment_method="pm_card_visa", capture=True, idempotency_key="k")
    with pytest.raises(ServiceUnavailable):
        gateway.refund("pi_sandbox_x", HUNDRED, idempotency_key="r")
