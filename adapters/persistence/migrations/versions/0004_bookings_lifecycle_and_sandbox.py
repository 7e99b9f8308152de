"""Bookings record who cancelled, when, and what was refunded; the sandbox payment provider gets its tables.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-12

``bookings`` gains three nullable columns, so existing rows need no values and PostgreSQL rewrites
nothing: ``cancelled_by`` ('guest' or 'host'), ``cancelled_at`` and ``refund_amount`` (minor units).

``sandbox_payment_intents`` and ``sandbox_refunds`` hold the state of the ``sandbox`` payment provider
(``adapters/payments/sandbox.py``, whose ``Table``s these must match) in the database, where every
server worker sees it. The unique idempotency keys are what make a retried charge or refund happen once.

Downgrade drops the tables and the columns, and with them the sandbox's payments and the refunds recorded
on bookings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (column, CHECK condition or None); spelled out rather than taken from models.py, since a migration
# must not change when the models do.
BOOKING_COLUMNS: tuple[tuple[sa.Column[Any], str | None], ...] = (
    (sa.Column("cancelled_by", sa.String(10), nullable=True), "cancelled_by IN ('guest', 'host')"),
    (sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True), None),
    (sa.Column("refund_amount", sa.BigInteger(), nullable=True), "refund_amount >= 0"),
)
CHECK_NAMES = {"cancelled_by": "ck_bookings_cancelled_by", "refund_amount": "ck_bookings_refund_amount_not_negative"}


def upgrade() -> None:
    op.create_table(
        "sandbox_payment_intents",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("payment_method", sa.String(255), nullable=False),
        sa.Column("capture_method", sa.String(10), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("decline_code", sa.String(50), nullable=True),
        sa.Column("amount_captured", sa.BigInteger(), nullable=False),
        sa.Column("amount_refunded", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sandbox_payment_intents")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_sandbox_payment_intents_idempotency_key")),
        sa.CheckConstraint("amount > 0", name=op.f("ck_sandbox_payment_intents_amount_positive")),
        sa.CheckConstraint(
            "capture_method IN ('automatic', 'manual')", name=op.f("ck_sandbox_payment_intents_capture_method")
        ),
        sa.CheckConstraint(
            "status IN ('requires_capture', 'succeeded', 'canceled', 'failed')",
            name=op.f("ck_sandbox_payment_intents_status"),
        ),
        sa.CheckConstraint(
            "amount_captured BETWEEN 0 AND amount AND amount_refunded BETWEEN 0 AND amount_captured",
            name=op.f("ck_sandbox_payment_intents_amounts"),
        ),
    )
    op.create_table(
        "sandbox_refunds",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("payment_intent_id", sa.String(40), nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sandbox_refunds")),
        sa.ForeignKeyConstraint(
            ["payment_intent_id"],
            ["sandbox_payment_intents.id"],
            name=op.f("fk_sandbox_refunds_payment_intent_id"),
        ),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_sandbox_refunds_idempotency_key")),
        sa.CheckConstraint("amount > 0", name=op.f("ck_sandbox_refunds_amount_positive")),
    )
    op.create_index(op.f("ix_sandbox_refunds_payment_intent_id"), "sandbox_refunds", ["payment_intent_id"])

    # SQLite cannot add a constraint to an existing table, only a column carrying its own CHECK (which
    # it can also drop again, unlike a table constraint). PostgreSQL takes the same statement.
    dialect = op.get_bind().dialect
    for column, check in BOOKING_COLUMNS:
        constraint = f" CONSTRAINT {CHECK_NAMES[column.name]} CHECK ({check})" if check else ""
        op.execute(f"ALTER TABLE bookings ADD COLUMN {column.name} {column.type.compile(dialect=dialect)}{constraint}")


def downgrade() -> None:
    # Dropping a column drops the CHECK that belongs to it.
    for column, _ in reversed(BOOKING_COLUMNS):
        op.drop_column("bookings", column.name)
    op.drop_table("sandbox_refunds")  # its index goes with it
    op.drop_table("sandbox_payment_intents")
