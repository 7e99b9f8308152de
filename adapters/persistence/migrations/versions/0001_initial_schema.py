"""Initial schema: the five domain tables plus sessions, idempotency, webhooks and the outbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-21

On SQLite the exclusion constraint and the GIN index do not exist; the application enforces
the no-overlap rule there itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Types are spelled out rather than imported from models.py: a migration must not change
# when the models do.
UUID = sa.Uuid
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _pk(table: str, *columns: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint(*(columns or ("id",)), name=op.f(f"pk_{table}"))


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}"))


def _check(table: str, name: str, condition: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(condition, name=op.f(f"ck_{table}_{name}"))


def _index(table: str, name: str, *columns: str | sa.TextClause, **kw: Any) -> None:
    op.create_index(op.f(f"ix_{table}_{name}"), table, list(columns), **kw)


def upgrade() -> None:
    postgres = op.get_context().dialect.name == "postgresql"
    if postgres:
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")

    op.create_table(
        "users",
        sa.Column("id", UUID(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("is_host", sa.Boolean(), nullable=False),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        _timestamp("created_at"),
        _pk("users"),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
        _check("users", "email_lower", "email = lower(email)"),
    )
    _index("users", "created_at_id", "created_at", "id")

    op.create_table(
        "refresh_tokens",
        sa.Column("id", UUID(), nullable=False),
        sa.Column("user_id", UUID(), nullable=False),
        sa.Column("family_id", UUID(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        _timestamp("issued_at"),
        _timestamp("expires_at"),
        _timestamp("used_at", nullable=True),
        _timestamp("revoked_at", nullable=True),
        _pk("refresh_tokens"),
        _fk("refresh_tokens", "user_id", "users"),
    )
    _index("refresh_tokens", "token_hash", "token_hash", unique=True)
    _index("refresh_tokens", "family_id", "family_id")
    _index("refresh_tokens", "user_id", "user_id")

    op.create_table(
        "properties",
        sa.Column("id", UUID(), nullable=False),
        sa.Column("host_id", UUID(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("location", sa.String(300), nullable=False),
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("latitude", sa.Double(), nullable=False),
        sa.Column("longitude", sa.Double(), nullable=False),
        sa.Column("timezone", sa.String(64), server_default="UTC", nullable=False),
        sa.Column("price_per_night", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("cleaning_fee", sa.BigInteger(), nullable=False),
        sa.Column("weekly_discount_percent", sa.Integer(), nullable=False),
        sa.Column("max_guests", sa.Integer(), nullable=False),
        sa.Column("min_nights", sa.Integer(), nullable=False),
        sa.Column("max_nights", sa.Integer(), nullable=False),
        sa.Column("instant_book", sa.Boolean(), nullable=False),
        sa.Column("cancellation_policy", sa.String(20), nullable=False),
        sa.Column("amenities", JSON, nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("rating_avg", sa.Numeric(3, 2), nullable=True),
        sa.Column("review_count", sa.Integer(), nullable=False),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        _pk("properties"),
        _fk("properties", "host_id", "users"),
        _check("properties", "latitude_range", "latitude BETWEEN -90 AND 90"),
        _check("properties", "longitude_range", "longitude BETWEEN -180 AND 180"),
        _check("properties", "price_per_night_not_negative", "price_per_night >= 0"),
        _check("properties", "cleaning_fee_not_negative", "cleaning_fee >= 0"),
        _check("properties", "weekly_discount_range", "weekly_discount_percent BETWEEN 0 AND 100"),
        _check("properties", "max_guests_positive", "max_guests >= 1"),
        _check("properties", "nights_range", "min_nights >= 1 AND min_nights <= max_nights"),
        _check("properties", "cancellation_policy", "cancellation_policy IN ('flexible', 'moderate', 'strict')"),
        _check("properties", "review_count_not_negative", "review_count >= 0"),
    )
    _index("properties", "host_id", "host_id")
    _index("properties", "city_lower", sa.text("lower(city)"))
    _index("properties", "country", "country")
    _index("properties", "price_per_night", "price_per_night")
    _index("properties", "created_at", "created_at")
    if postgres:
        _index("properties", "amenities", "amenities", postgresql_using="gin")

    op.create_table(
        "bookings",
        sa.Column("id", UUID(), nullable=False),
        sa.Column("user_id", UUID(), nullable=False),
        sa.Column("property_id", UUID(), nullable=False),
        sa.Column("check_in_date", sa.Date(), nullable=False),
        sa.Column("check_out_date", sa.Date(), nullable=False),
        sa.Column("guests", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("nightly_subtotal", sa.BigInteger(), nullable=False),
        sa.Column("cleaning_fee", sa.BigInteger(), nullable=False),
        sa.Column("service_fee", sa.BigInteger(), nullable=False),
        sa.Column("total_price", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        _timestamp("hold_expires_at", nullable=True),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        _pk("bookings"),
        _fk("bookings", "user_id", "users"),
        _fk("bookings", "property_id", "properties"),
        _check("bookings", "stay_not_empty", "check_out_date > check_in_date"),
        _check("bookings", "guests_positive", "guests >= 1"),
        _check(
            "bookings",
            "status",
            "status IN ('pending', 'requested', 'confirmed', 'declined', 'cancelled', 'expired')",
        ),
        _check(
            "bookings",
            "money_not_negative",
            "nightly_subtotal >= 0 AND cleaning_fee >= 0 AND service_fee >= 0 AND total_price >= 0",
        ),
    )
    _index("bookings", "property_id_stay", "property_id", "check_in_date", "check_out_date")
    _index("bookings", "user_id_created_at", "user_id", "created_at")
    _index("bookings", "status_hold_expires_at", "status", "hold_expires_at")
    if postgres:
        op.execute(
            "ALTER TABLE bookings ADD CONSTRAINT bookings_no_overlap EXCLUDE USING gist "
            "(property_id WITH =, daterange(check_in_date, check_out_date, '[)') WITH &&) "
            "WHERE (status IN ('pending', 'requested', 'confirmed'))"
        )

    op.create_table(
        "payments",
        sa.Column("id", UUID(), nullable=False),
        sa.Column("booking_id", UUID(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("provider", sa.String(50), nullable=False),
        sa.Column("provider_payment_id", sa.String(255), nullable=False),
        sa.Column("payment_method", sa.String(255), nullable=False),
        sa.Column("payment_status", sa.String(20), nullable=False),
        sa.Column("refunded_amount", sa.BigInteger(), nullable=False),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        _pk("payments"),
        _fk("payments", "booking_id", "bookings"),
        sa.UniqueConstraint("booking_id", name=op.f("uq_payments_booking_id")),
        _check("payments", "amount_not_negative", "amount >= 0"),
        _check("payments", "refunded_amount_range", "refunded_amount >= 0 AND refunded_amount <= amount"),
        _check(
            "payments",
            "payment_status",
            "payment_status IN ('authorized', 'succeeded', 'failed', 'voided', 'partially_refunded', 'refunded')",
        ),
    )

    op.create_table(
        "reviews",
        sa.Column("id", UUID(), nullable=False),
        sa.Column("booking_id", UUID(), nullable=False),
        sa.Column("user_id", UUID(), nullable=False),
        sa.Column("property_id", UUID(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        _timestamp("created_at"),
        _pk("reviews"),
        _fk("reviews", "booking_id", "bookings"),
        _fk("reviews", "user_id", "users"),
        _fk("reviews", "property_id", "properties"),
        sa.UniqueConstraint("booking_id", name=op.f("uq_reviews_booking_id")),
        _check("reviews", "rating_range", "rating BETWEEN 1 AND 5"),
    )
    _index("reviews", "property_id_created_at", "property_id", "created_at")

    op.create_table(
        "idempotency_records",
        sa.Column("id", UUID(), nullable=False),
        sa.Column("user_id", UUID(), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("request_fingerprint", sa.String(64), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=False),
        sa.Column("response_body", sa.LargeBinary(), nullable=False),
        _timestamp("created_at"),
        _pk("idempotency_records"),
        _fk("idempotency_records", "user_id", "users"),
        sa.UniqueConstraint("user_id", "key", name=op.f("uq_idempotency_records_user_id_key")),
    )
    _index("idempotency_records", "created_at", "created_at")

    op.create_table(
        "processed_webhook_events",
        sa.Column("provider", sa.String(50), nullable=False),
        sa.Column("event_id", sa.String(255), nullable=False),
        _timestamp("processed_at"),
        _pk("processed_webhook_events", "provider", "event_id"),
    )

    op.create_table(
        "outbox",
        sa.Column("id", UUID(), nullable=False),
        sa.Column("topic", sa.String(100), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        _timestamp("created_at"),
        _timestamp("processed_at", nullable=True),
        _pk("outbox"),
    )
    unprocessed = sa.text("processed_at IS NULL")
    _index("outbox", "unprocessed", "created_at", postgresql_where=unprocessed, sqlite_where=unprocessed)


def downgrade() -> None:
    # Dropping a table drops its indexes and constraints. btree_gist stays: other schemas may use it.
    for table in (
        "outbox",
        "processed_webhook_events",
        "idempotency_records",
        "reviews",
        "payments",
        "bookings",
        "properties",
        "refresh_tokens",
        "users",
    ):
        op.drop_table(table)
