"""SQLAlchemy models of the whole schema. They never leave this package: repositories map them to the core.

Every constraint has a stable name (explicit or from the naming convention) because the unit of work
turns integrity errors into domain errors by constraint name, and migrations must name them the same.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from adapters.sql_types import UTCDateTime
from airbnb_core.domain.bookings import ACTIVE_STATUSES, BookingStatus, CancelledBy
from airbnb_core.domain.payments import PaymentStatus
from airbnb_core.domain.properties import CancellationPolicy

NAMING_CONVENTION = {
    "pk": "pk_%(table_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
}


def one_of(column: str, values: Iterable[enum.StrEnum]) -> str:
    """A CHECK condition listing the enum's values, in declaration order so the DDL is stable."""
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


JSONDocument = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
MinorUnits = sa.BigInteger  # money is an integer of minor units, and totals can outgrow 32 bits


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), uuid.UUID: sa.Uuid()}


class UserRow(Base):
    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint("email = lower(email)", name="email_lower"),
        sa.Index("ix_users_created_at_id", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    is_host: Mapped[bool]
    is_admin: Mapped[bool]
    is_active: Mapped[bool]
    created_at: Mapped[datetime]
    session_version: Mapped[int] = mapped_column(server_default="0")


class RefreshTokenRow(Base):
    __tablename__ = "refresh_tokens"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"), index=True)
    family_id: Mapped[uuid.UUID] = mapped_column(index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), index=True, unique=True)
    issued_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


def _search_indexes() -> list[sa.Index]:
    """Migration 0002: an index per main search shape, each in that search's sort order.

    Partial on active listings, the only ones search returns. SQLAlchemy writes the boolean test as
    ``is_active = 1`` on SQLite, and SQLite uses a partial index only when the query repeats its terms.
    The rating key must read exactly as the repository's ``coalesce(rating_avg, 0)``, with a literal
    0 rather than a parameter, or PostgreSQL does not match the query to the index.
    """
    city: sa.ColumnClause[Any] = sa.column("city")
    created: sa.ColumnClause[Any] = sa.column("created_at")
    price: sa.ColumnClause[Any] = sa.column("price_per_night")
    key: sa.ColumnClause[Any] = sa.column("id")
    shapes: dict[str, tuple[sa.ColumnElement[Any], ...]] = {
        "city_newest": (sa.func.lower(city), created.desc(), key.desc()),
        "city_price": (sa.func.lower(city), price, key),
        "country_newest": (sa.column("country"), created.desc(), key.desc()),
        "country_price": (sa.column("country"), price, key),
        "newest": (created.desc(), key.desc()),
        "price": (price, key),
        "rating": (sa.func.coalesce(sa.column("rating_avg"), sa.literal_column("0")).desc(), key.desc()),
        "position": (sa.column("latitude"), sa.column("longitude")),
    }
    return [
        sa.Index(
            f"ix_properties_active_{name}",
            *columns,
            postgresql_where=sa.text("is_active"),
            sqlite_where=sa.text("is_active = 1"),
        )
        for name, columns in shapes.items()
    ]


class PropertyRow(Base):
    __tablename__ = "properties"
    __table_args__ = (
        sa.CheckConstraint("latitude BETWEEN -90 AND 90", name="latitude_range"),
        sa.CheckConstraint("longitude BETWEEN -180 AND 180", name="longitude_range"),
        sa.CheckConstraint("price_per_night >= 0", name="price_per_night_not_negative"),
        sa.CheckConstraint("cleaning_fee >= 0", name="cleaning_fee_not_negative"),
        sa.CheckConstraint("weekly_discount_percent BETWEEN 0 AND 100", name="weekly_discount_range"),
        sa.CheckConstraint("max_guests >= 1", name="max_guests_positive"),
        sa.CheckConstraint("min_nights >= 1 AND min_nights <= max_nights", name="nights_range"),
        sa.CheckConstraint(one_of("cancellation_policy", CancellationPolicy), name="cancellation_policy"),
        sa.CheckConstraint("review_count >= 0", name="review_count_not_negative"),
        sa.Index("ix_properties_city_lower", sa.func.lower(sa.column("city"))),
        sa.Index("ix_properties_amenities", "amenities", postgresql_using="gin").ddl_if(dialect="postgresql"),
        *_search_indexes(),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    host_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text)
    location: Mapped[str] = mapped_column(sa.String(300))
    city: Mapped[str] = mapped_column(sa.String(100))
    country: Mapped[str] = mapped_column(sa.String(2), index=True)
    latitude: Mapped[float] = mapped_column(sa.Double)
    longitude: Mapped[float] = mapped_column(sa.Double)
    timezone: Mapped[str] = mapped_column(sa.String(64), server_default="UTC")
    price_per_night: Mapped[int] = mapped_column(MinorUnits, index=True)
    currency: Mapped[str] = mapped_column(sa.String(3))
    cleaning_fee: Mapped[int] = mapped_column(MinorUnits)
    weekly_discount_percent: Mapped[int]
    max_guests: Mapped[int]
    min_nights: Mapped[int]
    max_nights: Mapped[int]
    instant_book: Mapped[bool]
    cancellation_policy: Mapped[str] = mapped_column(sa.String(20))
    amenities: Mapped[list[str]] = mapped_column(JSONDocument)
    is_active: Mapped[bool]
    rating_avg: Mapped[Decimal | None] = mapped_column(sa.Numeric(3, 2))
    review_count: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime]


# PostgreSQL only (migration 0002): a STORED generated tsvector of title, description and location,
# with a GIN index. It is not mapped: SQLite has no such column, and the ORM would select it there.
SEARCH_VECTOR = sa.literal_column("properties.search_vector", postgresql.TSVECTOR)


class BookingRow(Base):
    __tablename__ = "bookings"
    __table_args__ = (
        sa.CheckConstraint("check_out_date > check_in_date", name="stay_not_empty"),
        sa.CheckConstraint("guests >= 1", name="guests_positive"),
        sa.CheckConstraint(one_of("status", BookingStatus), name="status"),
        sa.CheckConstraint(
            "nightly_subtotal >= 0 AND cleaning_fee >= 0 AND service_fee >= 0 AND total_price >= 0",
            name="money_not_negative",
        ),
        sa.CheckConstraint(one_of("cancelled_by", CancelledBy), name="cancelled_by"),
        sa.CheckConstraint("refund_amount >= 0", name="refund_amount_not_negative"),
        sa.Index("ix_bookings_property_id_stay", "property_id", "check_in_date", "check_out_date"),
        sa.Index("ix_bookings_user_id_created_at", "user_id", "created_at"),
        sa.Index("ix_bookings_status_hold_expires_at", "status", "hold_expires_at"),
        # The schema-level guarantee behind "no two active bookings of one property overlap".
        # SQLite has no equivalent; there the booking repository checks under BEGIN IMMEDIATE.
        postgresql.ExcludeConstraint(
            ("property_id", "="),
            (sa.func.daterange(sa.column("check_in_date"), sa.column("check_out_date"), "[)"), "&&"),
            name="bookings_no_overlap",
            using="gist",
            where=sa.text(one_of("status", [s for s in BookingStatus if s in ACTIVE_STATUSES])),
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"))
    property_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("properties.id"))
    check_in_date: Mapped[date]
    check_out_date: Mapped[date]
    guests: Mapped[int]
    status: Mapped[str] = mapped_column(sa.String(20))
    nightly_subtotal: Mapped[int] = mapped_column(MinorUnits)
    cleaning_fee: Mapped[int] = mapped_column(MinorUnits)
    service_fee: Mapped[int] = mapped_column(MinorUnits)
    total_price: Mapped[int] = mapped_column(MinorUnits)
    currency: Mapped[str] = mapped_column(sa.String(3))
    hold_expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # Migration 0004. The domain Booking does not carry them yet, so the repository leaves them NULL.
    cancelled_by: Mapped[str | None] = mapped_column(sa.String(10))
    cancelled_at: Mapped[datetime | None]
    refund_amount: Mapped[int | None] = mapped_column(MinorUnits)


class PaymentRow(Base):
    __tablename__ = "payments"
    __table_args__ = (
        sa.CheckConstraint("amount >= 0", name="amount_not_negative"),
        sa.CheckConstraint("refunded_amount >= 0 AND refunded_amount <= amount", name="refunded_amount_range"),
        sa.CheckConstraint(one_of("payment_status", PaymentStatus), name="payment_status"),
        sa.CheckConstraint("attempts >= 1", name="attempts_positive"),
        # Migration 0006: webhooks find their payment by the provider's id.
        sa.Index("ix_payments_provider_provider_payment_id", "provider", "provider_payment_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    booking_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("bookings.id"), unique=True)
    amount: Mapped[int] = mapped_column(MinorUnits)
    currency: Mapped[str] = mapped_column(sa.String(3))
    provider: Mapped[str] = mapped_column(sa.String(50))
    provider_payment_id: Mapped[str | None] = mapped_column(sa.String(255))
    payment_method: Mapped[str] = mapped_column(sa.String(255))
    payment_status: Mapped[str] = mapped_column(sa.String(20))
    refunded_amount: Mapped[int] = mapped_column(MinorUnits)
    attempts: Mapped[int]
    failure_code: Mapped[str | None] = mapped_column(sa.String(50))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ReviewRow(Base):
    __tablename__ = "reviews"
    __table_args__ = (
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        sa.Index("ix_reviews_property_id_created_at", "property_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    booking_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("bookings.id"), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"))
    property_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("properties.id"))
    rating: Mapped[int]
    comment: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime]


class IdempotencyRecordRow(Base):
    """The first response to a request with an ``Idempotency-Key``, replayed byte for byte on retries.

    Written with no response when the first request starts, so that a concurrent duplicate finds the key taken.
    """

    __tablename__ = "idempotency_records"
    __table_args__ = (sa.UniqueConstraint("user_id", "key"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(sa.String(255))
    request_fingerprint: Mapped[str] = mapped_column(sa.String(64))
    response_status: Mapped[int | None]
    response_body: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    response_content_type: Mapped[str | None] = mapped_column(sa.String(100))
    created_at: Mapped[datetime] = mapped_column(index=True)


class ProcessedWebhookEventRow(Base):
    """Provider events already applied, so a redelivered webhook changes nothing."""

    __tablename__ = "processed_webhook_events"

    provider: Mapped[str] = mapped_column(sa.String(50), primary_key=True)
    event_id: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    processed_at: Mapped[datetime]


class OutboxRow(Base):
    """Messages written in the business transaction and delivered after it commits."""

    __tablename__ = "outbox"
    __table_args__ = (
        sa.Index(
            "ix_outbox_unprocessed",
            "created_at",
            postgresql_where=sa.text("processed_at IS NULL"),
            sqlite_where=sa.text("processed_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(sa.String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    created_at: Mapped[datetime]
    processed_at: Mapped[datetime | None]


@sa.event.listens_for(Base.metadata, "before_create")
def _create_extensions(_metadata: sa.MetaData, connection: sa.Connection, **_kw: Any) -> None:
    # metadata.create_all (handy for throwaway databases) needs what the exclusion constraint uses.
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS btree_gist")
