"""The sandbox payment provider: Stripe's test payment methods, simulated in the application's database.

Its PaymentIntents and refunds are rows, so every server worker sees the intent another one created.
Each call runs in a short transaction of its own, never the caller's: a real provider's charge does
not roll back with the caller's transaction either, and the idempotency key is how a caller that
failed after a charge finds that charge again.

On SQLite every write transaction takes the database's write lock (``BEGIN IMMEDIATE``, set up by the
persistence adapter's engine), so a caller must not call the gateway while its own unit of work holds
that lock: the gateway would wait for it until the busy timeout and fail.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import json
import logging
import secrets
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from adapters.payments.registry import ProviderContext
from adapters.sql_types import UTCDateTime
from airbnb_core.domain.errors import Conflict, InvalidInput, InvalidTransition, NotFound, ServiceUnavailable
from airbnb_core.domain.money import Money
from airbnb_core.ports.clock import Clock
from airbnb_core.ports.payments import STRIPE_TEST_PAYMENT_METHODS as TEST_PAYMENT_METHODS
from airbnb_core.ports.payments import IntentStatus, ProviderEvent, ProviderIntent, ProviderOutcome, ProviderPayment

logger = logging.getLogger(__name__)

# Stripe's default: a signed webhook older (or, here, newer) than this is refused as a possible replay.
WEBHOOK_TOLERANCE_SECONDS = 300


class CaptureMethod(enum.StrEnum):
    AUTOMATIC = "automatic"
    MANUAL = "manual"


def _one_of(column: str, values: type[enum.StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


# The sandbox's own tables; migration 0004 creates them, and a test checks that the two agree.
# Constraint names are spelled out so that they match the migration's whatever the metadata's conventions.
metadata = sa.MetaData()

payment_intents = sa.Table(
    "sandbox_payment_intents",
    metadata,
    sa.Column("id", sa.String(40), nullable=False),
    sa.Column("idempotency_key", sa.String(255), nullable=False),
    sa.Column("amount", sa.BigInteger(), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("payment_method", sa.String(255), nullable=False),
    # The request's capture flag: a retried key with another flag is another request.
    sa.Column("capture_method", sa.String(10), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("decline_code", sa.String(50), nullable=True),
    sa.Column("amount_captured", sa.BigInteger(), nullable=False),
    sa.Column("amount_refunded", sa.BigInteger(), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint("id", name="pk_sandbox_payment_intents"),
    sa.UniqueConstraint("idempotency_key", name="uq_sandbox_payment_intents_idempotency_key"),
    sa.CheckConstraint("amount > 0", name="ck_sandbox_payment_intents_amount_positive"),
    sa.CheckConstraint(_one_of("capture_method", CaptureMethod), name="ck_sandbox_payment_intents_capture_method"),
    sa.CheckConstraint(_one_of("status", IntentStatus), name="ck_sandbox_payment_intents_status"),
    # The last line of defence against refunding more than was charged.
    sa.CheckConstraint(
        "amount_captured BETWEEN 0 AND amount AND amount_refunded BETWEEN 0 AND amount_captured",
        name="ck_sandbox_payment_intents_amounts",
    ),
)

refunds = sa.Table(
    "sandbox_refunds",
    metadata,
    sa.Column("id", sa.String(40), nullable=False),
    sa.Column("payment_intent_id", sa.String(40), nullable=False),
    sa.Column("idempotency_key", sa.String(255), nullable=False),
    sa.Column("amount", sa.BigInteger(), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint("id", name="pk_sandbox_refunds"),
    sa.ForeignKeyConstraint(
        ["payment_intent_id"], ["sandbox_payment_intents.id"], name="fk_sandbox_refunds_payment_intent_id"
    ),
    sa.UniqueConstraint("idempotency_key", name="uq_sandbox_refunds_idempotency_key"),
    sa.CheckConstraint("amount > 0", name="ck_sandbox_refunds_amount_positive"),
    sa.Index("ix_sandbox_refunds_payment_intent_id", "payment_intent_id"),
)

# The events the sandbox emits, as Stripe's webhooks carry them, until delivered (``deliver_events``).
events = sa.Table(
    "sandbox_events",
    metadata,
    sa.Column("id", sa.String(40), nullable=False),
    sa.Column("type", sa.String(60), nullable=False),
    # The JSON body exactly as it is signed and sent.
    sa.Column("payload", sa.Text(), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("delivered_at", UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint("id", name="pk_sandbox_events"),
    sa.Index("ix_sandbox_events_delivered_at_created_at", "delivered_at", "created_at"),
)

# What each status an intent is created in announces.
_CREATED_EVENTS = {
    IntentStatus.SUCCEEDED: "payment_intent.succeeded",
    IntentStatus.REQUIRES_CAPTURE: "payment_intent.amount_capturable_updated",
    IntentStatus.FAILED: "payment_intent.payment_failed",
}

# Errors of the moment (no connection, a dropped one, no pooled connection free in time, SQLite's
# "database is locked"): the provider is unreachable, as Stripe's API sometimes is.
_UNREACHABLE = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.DisconnectionError, sa_exc.TimeoutError)


class SandboxPaymentGateway:
    """A ``PaymentGateway`` that charges nobody and behaves like Stripe's PaymentIntents in test mode."""

    name = "sandbox"

    def __init__(self, engine: sa.Engine, clock: Clock, *, webhook_secret: str) -> None:
        self._engine = engine
        self._clock = clock
        self._webhook_secret = webhook_secret.encode()

    def create(self, amount: Money, *, payment_method: str, capture: bool, idempotency_key: str) -> ProviderPayment:
        if payment_method not in TEST_PAYMENT_METHODS:
            known = ", ".join(TEST_PAYMENT_METHODS)
            raise InvalidInput.field("payment_method", f"is not a payment method the sandbox knows: use {known}")
        _require_positive(amount)
        decline_code = TEST_PAYMENT_METHODS[payment_method]
        if decline_code is not None:
            status = IntentStatus.FAILED
        else:
            status = IntentStatus.SUCCEEDED if capture else IntentStatus.REQUIRES_CAPTURE
        now = self._clock.now()
        request = {
            "idempotency_key": idempotency_key,
            "amount": amount.amount,
            "currency": amount.currency,
            "payment_method": payment_method,
            "capture_method": CaptureMethod.AUTOMATIC if capture else CaptureMethod.MANUAL,
        }
        with _reachable():
            intent = self._create_once(
                {
                    **request,
                    "id": f"pi_sandbox_{secrets.token_hex(12)}",
                    "status": status,
                    "decline_code": decline_code,
                    "amount_captured": amount.amount if status is IntentStatus.SUCCEEDED else 0,
                    "amount_refunded": 0,
                    "created_at": now,
                    "updated_at": now,
                },
            )
        _require_same_request(intent, request)
        # Like Stripe, a retry replays the first answer, even if the intent has moved on since.
        if intent.status == IntentStatus.FAILED:
            return ProviderPayment(intent.id, ProviderOutcome.DECLINED, intent.decline_code)
        if intent.capture_method == CaptureMethod.AUTOMATIC:
            return ProviderPayment(intent.id, ProviderOutcome.SUCCEEDED)
        return ProviderPayment(intent.id, ProviderOutcome.AUTHORIZED)

    def capture(self, provider_payment_id: str) -> None:
        """Capture the whole authorized amount; capturing a captured intent again changes nothing."""
        with _reachable(), self._engine.begin() as connection:
            moved = self._move(
                connection,
                provider_payment_id,
                IntentStatus.REQUIRES_CAPTURE,
                status=IntentStatus.SUCCEEDED,
                amount_captured=payment_intents.c.amount,
            )
            if moved:
                self._emit(connection, "payment_intent.succeeded", provider_payment_id)
            else:
                self._require_status(connection, provider_payment_id, IntentStatus.SUCCEEDED, "capture")

    def void(self, provider_payment_id: str) -> None:
        """Release an authorization; voiding a voided intent again changes nothing."""
        with _reachable(), self._engine.begin() as connection:
            moved = self._move(
                connection, provider_payment_id, IntentStatus.REQUIRES_CAPTURE, status=IntentStatus.CANCELED
            )
            if moved:
                self._emit(connection, "payment_intent.canceled", provider_payment_id)
            else:
                self._require_status(connection, provider_payment_id, IntentStatus.CANCELED, "void")

    def refund(self, provider_payment_id: str, amount: Money, *, idempotency_key: str) -> None:
        """Refund part or all of what is left of a captured intent, once per idempotency key."""
        _require_positive(amount)
        request = {
            "idempotency_key": idempotency_key,
            "payment_intent_id": provider_payment_id,
            "amount": amount.amount,
        }
        key = refunds.c.idempotency_key == idempotency_key
        with _reachable():
            try:
                with self._engine.begin() as connection:
                    intent = self._get(connection, provider_payment_id)
                    if amount.currency != intent.currency:
                        raise InvalidInput.field(
                            "currency", f"must be {intent.currency}, the payment intent's currency"
                        )
                    done = connection.execute(sa.select(refunds).where(key)).one_or_none()
                    if done is None:
                        self._take_refund(connection, request)
                        return
            except sa_exc.IntegrityError:
                done = self._stored_under(refunds, key)
                if done is None:
                    raise  # another constraint failed, not the key
        _require_same_request(done, request)

    def retrieve(self, provider_payment_id: str) -> ProviderIntent:
        with _reachable(), self._engine.connect() as connection:
            intent = self._get(connection, provider_payment_id)
        return ProviderIntent(
            intent.id, IntentStatus(intent.status), intent.amount, intent.amount_captured, intent.amount_refunded
        )

    def parse_webhook(self, payload: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        """Verify a ``Stripe-Signature`` made with the sandbox's webhook secret, then decode the event."""
        header = next((value for name, value in headers.items() if name.lower() == "stripe-signature"), "")
        fields = [item.strip().partition("=") for item in header.split(",")]
        timestamps = [value for name, _, value in fields if name == "t"]
        signatures = [value for name, _, value in fields if name == "v1"]  # several while a secret is rotated
        try:
            [timestamp] = timestamps
            sent = int(timestamp)  # what is signed is this number, however the header spelled it
        except ValueError:
            sent = None
        if sent is None or not signatures:
            raise InvalidInput("the Stripe-Signature header is missing or malformed", code="bad_signature")
        # Refused in both directions: a timestamp from the future would stretch the replay window.
        if abs(self._clock.now().timestamp() - sent) > WEBHOOK_TOLERANCE_SECONDS:
            raise InvalidInput("the webhook's signature timestamp is too far from now", code="bad_signature")
        expected = hmac.new(self._webhook_secret, f"{sent}.".encode() + payload, hashlib.sha256).hexdigest()
        # As bytes: compare_digest refuses str with non-ASCII characters, which a header may carry.
        if not any(hmac.compare_digest(expected.encode(), signature.encode()) for signature in signatures):
            raise InvalidInput("the webhook's signature does not match", code="bad_signature")
        return _decode_event(payload)

    def deliver_events(self, url: str, *, limit: int = 100, timeout_seconds: float = 10.0) -> int:
        """POST the events not yet delivered to ``url``, oldest first, signed as Stripe signs its webhooks; each
        one the endpoint acknowledges (2xx) is marked delivered. Stops at the first failure, so that the next
        call resumes in order. Returns how many were delivered.

        Two concurrent calls may both send an event: receivers apply each event once, as Stripe's must.
        """
        c = events.c
        with _reachable(), self._engine.connect() as connection:
            pending = connection.execute(
                sa.select(c.id, c.payload).where(c.delivered_at.is_(None)).order_by(c.created_at, c.id).limit(limit)
            ).all()
        delivered = 0
        for event_id, payload in pending:
            if not self._post(url, payload.encode(), timeout_seconds):
                break
            with _reachable(), self._engine.begin() as connection:
                connection.execute(
                    sa.update(events)
                    .where(c.id == event_id, c.delivered_at.is_(None))
                    .values(delivered_at=self._clock.now())
                )
            delivered += 1
        return delivered

    def signature_header(self, payload: bytes) -> str:
        """The ``Stripe-Signature`` header of ``payload`` signed now: what the endpoint's ``parse_webhook`` checks."""
        timestamp = int(self._clock.now().timestamp())
        signature = hmac.new(self._webhook_secret, f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
        return f"t={timestamp},v1={signature}"

    def _post(self, url: str, payload: bytes, timeout_seconds: float) -> bool:
        request = urllib.request.Request(  # noqa: S310 - the operator's configured URL, http(s) or nothing
            url,
            data=payload,
            method="POST",
            headers={"Content-Type": "application/json", "Stripe-Signature": self.signature_header(payload)},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout_seconds) as response:  # noqa: S310
                status: int = response.status
                return 200 <= status < 300
        except (urllib.error.URLError, TimeoutError, ConnectionError) as failure:
            logger.warning("could not deliver a sandbox webhook to %s: %s", url, failure)
            return False

    def _emit(self, connection: sa.Connection, event_type: str, intent_id: str) -> None:
        """Record the event that the intent's change (in this transaction) announces, in Stripe's format."""
        intent = self._get(connection, intent_id)
        now = self._clock.now()
        event_id = f"evt_sandbox_{secrets.token_hex(12)}"
        event = {
            "id": event_id,
            "object": "event",
            "type": event_type,
            "created": int(now.timestamp()),
            "data": {"object": _charge(intent) if event_type.startswith("charge.") else _payment_intent(intent)},
        }
        payload = json.dumps(event, separators=(",", ":"))
        connection.execute(sa.insert(events).values(id=event_id, type=event_type, payload=payload, created_at=now))

    def _create_once(self, intent: dict[str, Any]) -> sa.Row[Any]:
        """What is stored under the idempotency key: ``intent`` itself, unless a request with the key came first."""
        key = payment_intents.c.idempotency_key == intent["idempotency_key"]
        try:
            with self._engine.begin() as connection:
                stored = connection.execute(sa.select(payment_intents).where(key)).one_or_none()
                if stored is None:
                    inserted = sa.insert(payment_intents).values(intent).returning(*payment_intents.c)
                    stored = connection.execute(inserted).one()
                    self._emit(connection, _CREATED_EVENTS[IntentStatus(stored.status)], stored.id)
                return stored
        except sa_exc.IntegrityError:
            stored = self._stored_under(payment_intents, key)
            if stored is None:
                raise  # another constraint failed, not the key
            return stored

    def _stored_under(self, table: sa.Table, key: sa.ColumnElement[bool]) -> sa.Row[Any] | None:
        # Called when an insert broke the unique key: a concurrent request with the same key got there
        # first, and PostgreSQL held this insert until that request committed, so its row is readable now.
        with self._engine.connect() as connection:
            return connection.execute(sa.select(table).where(key)).one_or_none()

    def _take_refund(self, connection: sa.Connection, request: dict[str, Any]) -> None:
        intent_id, amount = request["payment_intent_id"], request["amount"]
        # The key first: a concurrent request with the same key waits here for this one to commit,
        # then fails on the unique key and reads this refund back, so the intent is never touched twice.
        connection.execute(
            sa.insert(refunds).values(**request, id=f"re_sandbox_{secrets.token_hex(12)}", created_at=self._clock.now())
        )
        # One conditional UPDATE: concurrent refunds of one intent queue on its row, and each sees
        # what the one before it left.
        left = payment_intents.c.amount_captured - payment_intents.c.amount_refunded
        moved = self._move(
            connection,
            intent_id,
            IntentStatus.SUCCEEDED,
            left >= amount,
            amount_refunded=payment_intents.c.amount_refunded + amount,
        )
        if moved:
            self._emit(connection, "charge.refunded", intent_id)
        else:
            intent = self._get(connection, intent_id)
            if intent.status != IntentStatus.SUCCEEDED:
                raise InvalidTransition(f"cannot refund a {intent.status} payment intent")
            remaining = intent.amount_captured - intent.amount_refunded
            raise InvalidTransition(f"a refund of {amount} exceeds the {remaining} left of the payment")

    def _move(
        self,
        connection: sa.Connection,
        intent_id: str,
        from_status: IntentStatus,
        *conditions: sa.ColumnElement[bool],
        **values: Any,
    ) -> bool:
        """Apply ``values`` if the intent is still in ``from_status`` (and meets ``conditions``); say if it was."""
        c = payment_intents.c
        moved = connection.execute(
            sa.update(payment_intents)
            .where(c.id == intent_id, c.status == from_status, *conditions)
            .values(**values, updated_at=self._clock.now())
        )
        return bool(moved.rowcount == 1)

    def _require_status(self, connection: sa.Connection, intent_id: str, status: IntentStatus, action: str) -> None:
        current = self._get(connection, intent_id).status
        if current != status:
            raise InvalidTransition(f"cannot {action} a {current} payment intent")

    def _get(self, connection: sa.Connection, intent_id: str) -> sa.Row[Any]:
        intent = connection.execute(sa.select(payment_intents).where(payment_intents.c.id == intent_id)).one_or_none()
        if intent is None:
            raise NotFound(f"the sandbox has no payment intent {intent_id}")
        return intent


def _require_positive(amount: Money) -> None:
    if amount.amount < 1:
        raise InvalidInput.field("amount", "must be at least one minor unit")


def _require_same_request(stored: sa.Row[Any], request: Mapping[str, Any]) -> None:
    if any(getattr(stored, name) != value for name, value in request.items()):
        raise Conflict(
            f"idempotency key {request['idempotency_key']!r} was already used with other parameters",
            code="idempotency_key_reused",
        )


def _payment_intent(intent: sa.Row[Any]) -> dict[str, Any]:
    captured = intent.status == IntentStatus.SUCCEEDED
    return {
        "id": intent.id,
        "object": "payment_intent",
        "amount": intent.amount,
        "amount_capturable": intent.amount if intent.status == IntentStatus.REQUIRES_CAPTURE else 0,
        "amount_received": intent.amount_captured if captured else 0,
        "currency": intent.currency.lower(),
        "capture_method": intent.capture_method,
        "payment_method": intent.payment_method,
        "status": "requires_payment_method" if intent.status == IntentStatus.FAILED else intent.status,
        "last_payment_error": {"decline_code": intent.decline_code} if intent.decline_code else None,
    }


def _charge(intent: sa.Row[Any]) -> dict[str, Any]:
    return {
        "id": intent.id.replace("pi_", "ch_", 1),
        "object": "charge",
        "payment_intent": intent.id,
        "amount": intent.amount,
        "amount_captured": intent.amount_captured,
        "amount_refunded": intent.amount_refunded,  # the total so far, as Stripe's charge says
        "refunded": intent.amount_refunded == intent.amount_captured,
        "currency": intent.currency.lower(),
    }


def _decode_event(payload: bytes) -> ProviderEvent:
    """``{id, type, data: {object: {id, …}}}``; for a charge (``charge.refunded``), its ``payment_intent`` and
    ``amount_refunded``."""
    try:
        event = json.loads(payload)
        payment = event["data"]["object"]
        payment_id = payment["payment_intent"] if isinstance(payment.get("payment_intent"), str) else payment["id"]
        fields = (event["id"], event["type"], payment_id)
        refunded = payment.get("amount_refunded") if payment.get("object") == "charge" else None
    except (ValueError, KeyError, TypeError, AttributeError):
        raise InvalidInput("the webhook is not a Stripe-format event", code="bad_webhook_payload") from None
    if not all(isinstance(field, str) and field for field in fields):
        raise InvalidInput("the webhook's id, type and payment id must be strings", code="bad_webhook_payload")
    # bool is an int to Python, not to JSON's readers
    if refunded is not None and (not isinstance(refunded, int) or isinstance(refunded, bool) or refunded < 0):
        raise InvalidInput("the charge's amount_refunded must be a whole number", code="bad_webhook_payload")
    return ProviderEvent(*fields, amount_refunded=refunded)


@contextmanager
def _reachable() -> Iterator[None]:
    try:
        yield
    except _UNREACHABLE as error:
        raise ServiceUnavailable("the sandbox payment provider cannot be reached; try again shortly") from error


def from_context(context: ProviderContext) -> SandboxPaymentGateway:
    """The ``sandbox`` entry point (``adapters.payments.registry``)."""
    return SandboxPaymentGateway(
        context.engine, context.clock, webhook_secret=str(context.settings["sandbox_webhook_secret"])
    )
