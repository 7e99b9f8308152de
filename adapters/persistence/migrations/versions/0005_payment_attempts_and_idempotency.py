"""Payments record each attempt before the provider is called; idempotency records are reserved before the work.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07

``payments`` gains ``processing`` (an attempt is under way: the provider may or may not have charged,
so a retry resumes it with the same idempotency key instead of charging again), ``attempts`` (which
attempt the provider's idempotency key names), ``failure_code`` (why the last attempt was declined),
and ``provider_payment_id`` is empty until the provider answers.

``idempotency_records`` rows are written when a request with an ``Idempotency-Key`` starts, with no
response yet, so a concurrent duplicate finds the key taken; the response and its content type are
stored once the first request has answered.

No release before this one wrote either table, so both are recreated rather than altered (SQLite
cannot alter a CHECK constraint in place). Downgrade recreates them as 0001 made them, empty.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES_0001 = "'authorized', 'succeeded', 'failed', 'voided', 'partially_refunded', 'refunded'"


def _payments(*, statuses: str, attempts: bool) -> None:
    nullable_id = attempts  # 0005: unknown until the provider answers
    columns: list[sa.Column[object] | sa.Constraint] = [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("provider", sa.String(50), nullable=False),
        sa.Column("provider_payment_id", sa.String(255), nullable=nullable_id),
        sa.Column("payment_method", sa.String(255), nullable=False),
        sa.Column("payment_status", sa.String(20), nullable=False),
        sa.Column("refunded_amount", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.ForeignKeyConstraint(["booking_id"], ["bookings.id"], name=op.f("fk_payments_booking_id")),
        sa.UniqueConstraint("booking_id", name=op.f("uq_payments_booking_id")),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_payments_amount_not_negative")),
        sa.CheckConstraint(
            "refunded_amount >= 0 AND refunded_amount <= amount", name=op.f("ck_payments_refunded_amount_range")
        ),
        sa.CheckConstraint(f"payment_status IN ({statuses})", name=op.f("ck_payments_payment_status")),
    ]
    if attempts:
        columns += [
            sa.Column("attempts", sa.Integer(), nullable=False),
            sa.Column("failure_code", sa.String(50), nullable=True),
            sa.CheckConstraint("attempts >= 1", name=op.f("ck_payments_attempts_positive")),
        ]
    op.create_table("payments", *columns)


def _idempotency_records(*, reserved_first: bool) -> None:
    op.create_table(
        "idempotency_records",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("request_fingerprint", sa.String(64), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=reserved_first),
        sa.Column("response_body", sa.LargeBinary(), nullable=reserved_first),
        *([sa.Column("response_content_type", sa.String(100), nullable=True)] if reserved_first else []),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_records")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_idempotency_records_user_id")),
        sa.UniqueConstraint("user_id", "key", name=op.f("uq_idempotency_records_user_id_key")),
    )
    op.create_index(op.f("ix_idempotency_records_created_at"), "idempotency_records", ["created_at"])


def upgrade() -> None:
    op.drop_table("payments")
    _payments(statuses=f"'processing', {STATUSES_0001}", attempts=True)
    op.drop_table("idempotency_records")
    _idempotency_records(reserved_first=True)


def downgrade() -> None:
    op.drop_table("idempotency_records")
    _idempotency_records(reserved_first=False)
    op.drop_table("payments")
    _payments(statuses=STATUSES_0001, attempts=False)
