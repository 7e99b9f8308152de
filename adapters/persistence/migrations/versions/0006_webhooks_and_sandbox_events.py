"""Webhooks find their payment by the provider's id; the sandbox payment provider records the events it emits.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-14

``payments`` gains an index on ``(provider, provider_payment_id)``: each webhook event names its payment
by the provider's id.

``sandbox_events`` holds the Stripe-format events of the ``sandbox`` provider (``adapters/payments/sandbox.py``,
whose ``Table`` this must match), written in the transaction of the change they announce, with the JSON body
exactly as it is signed and sent; ``delivered_at`` stays empty until the webhook endpoint acknowledged it.

Downgrade drops the table, and with it the events not yet delivered, and the index.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(op.f("ix_payments_provider_provider_payment_id"), "payments", ["provider", "provider_payment_id"])
    op.create_table(
        "sandbox_events",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("type", sa.String(60), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sandbox_events")),
    )
    op.create_index(op.f("ix_sandbox_events_delivered_at_created_at"), "sandbox_events", ["delivered_at", "created_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_sandbox_events_delivered_at_created_at"), table_name="sandbox_events")
    op.drop_table("sandbox_events")
    op.drop_index(op.f("ix_payments_provider_provider_payment_id"), table_name="payments")
