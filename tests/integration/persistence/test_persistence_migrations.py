from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from persistence_store import Store

from adapters.persistence import (
    SqlAlchemyUnitOfWork,
    create_engine,
    current_revision,
    downgrade,
    make_session_factory,
    ping,
    upgrade,
)
from adapters.persistence.models import Base, BookingRow
from airbnb_core.domain.users import normalize_email

TABLES = {
    "users",
    "refresh_tokens",
    "properties",
    "bookings",
    "payments",
    "reviews",
    "idempotency_records",
    "processed_webhook_events",
    "outbox",
    # The sandbox payment provider's state; tests/integration/payments checks them against its Tables.
    "sandbox_payment_intents",
    "sandbox_refunds",
    "sandbox_events",
}


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_creates_every_table_on_an_empty_database(database_url: str) -> None:
    assert current_revision(database_url) is None
    upgrade(database_url)
    assert _tables(database_url) == TABLES
    assert current_revision(database_url) == "0006"


def test_downgrade_to_base_leaves_no_tables_and_upgrade_works_again(database_url: str) -> None:
    upgrade(database_url)
    downgrade(database_url)
    assert _tables(database_url) == set()
    assert current_revision(database_url) is None
    upgrade(database_url)
    assert _tables(database_url) == TABLES


@pytest.mark.filterwarnings("ignore:.*expression-based index:UserWarning", "ignore:.*expression-based index")
def test_migrated_schema_matches_the_models(engine: sa.Engine) -> None:
    if engine.dialect.name == "sqlite":
        # SQLite can neither reflect expression indexes nor has the PostgreSQL-only GIN index.
        skipped = {"ix_properties_city_lower", "ix_properties_amenities"}
        skipped |= {f"ix_properties_active_{shape}" for shape in ("city_newest", "city_price", "rating")}
    else:
        # The generated search_vector column exists on PostgreSQL only, so the models leave it (and
        # its GIN index) unmapped; test_postgres_has_the_full_text_search_column checks it instead.
        skipped = {"search_vector", "ix_properties_search_vector"}

    def is_compared(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
        if type_ == "table" and name in ("sandbox_payment_intents", "sandbox_refunds", "sandbox_events"):
            return False  # the payments adapter's tables, not these models'
        return not (type_ in ("index", "column") and name in skipped)

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": is_compared})
        assert compare_metadata(context, Base.metadata) == []


def test_postgres_has_the_bookings_no_overlap_exclusion_constraint(postgres_url: str) -> None:
    upgrade(postgres_url)
    engine = create_engine(postgres_url)
    with engine.connect() as connection:
        definition = connection.scalar(
            sa.text(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conname = 'bookings_no_overlap' AND contype = 'x'"
            )
        )
    engine.dispose()
    assert definition is not None
    assert "daterange(check_in_date, check_out_date, '[)'::text) WITH &&" in definition


def test_postgres_has_the_full_text_search_column(postgres_url: str) -> None:
    upgrade(postgres_url)
    engine = create_engine(postgres_url)
    with engine.connect() as connection:
        generated = connection.scalar(
            sa.text(
                "SELECT attgenerated FROM pg_attribute "
                "WHERE attrelid = 'properties'::regclass AND attname = 'search_vector'"
            )
        )
        index = connection.scalar(
            sa.text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_properties_search_vector'")
        )
    engine.dispose()
    assert generated == "s"  # STORED
    assert index is not None and "USING gin (search_vector)" in index


@pytest.mark.filterwarnings("ignore:.*expression-based index")
def test_downgrade_to_0001_removes_the_search_indexes(database_url: str) -> None:
    upgrade(database_url)
    downgrade(database_url, "0001")
    engine = create_engine(database_url)
    try:
        inspector = sa.inspect(engine)
        indexes = {index["name"] for index in inspector.get_indexes("properties")}
        columns = {column["name"] for column in inspector.get_columns("properties")}
    finally:
        engine.dispose()
    assert not {name for name in indexes if name and name.startswith("ix_properties_active_")}
    assert "ix_properties_search_vector" not in indexes and "search_vector" not in columns
    assert current_revision(database_url) == "0001"


def test_sqlite_connections_enforce_foreign_keys_and_use_wal(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
    engine.dispose()


def test_ping_succeeds_on_a_live_database_and_raises_on_an_unreachable_one(database_url: str) -> None:
    engine = create_engine(database_url)
    ping(engine)
    engine.dispose()
    unreachable = create_engine("postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=1")
    with pytest.raises(sa.exc.OperationalError):
        ping(unreachable)


# The users table as revision 0002 left it, to write rows the way the application then did.
USERS_0002 = sa.table(
    "users",
    sa.column("id", sa.Uuid()),
    sa.column("name", sa.String()),
    sa.column("email", sa.String()),
    sa.column("password_hash", sa.String()),
    sa.column("is_host", sa.Boolean()),
    sa.column("is_admin", sa.Boolean()),
    sa.column("is_active", sa.Boolean()),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def _insert_users_at_0002(url: str, *emails: str) -> list[uuid.UUID]:
    """Users whose emails were normalized the old way (stripped, lower-cased), oldest first."""
    ids = [uuid.uuid4() for _ in emails]
    start = datetime(2030, 1, 1, tzinfo=UTC)
    rows = [
        {
            "id": user_id,
            "name": "Old",
            "email": email.strip().lower(),
            "password_hash": "scrypt$hash",
            "is_host": False,
            "is_admin": False,
            "is_active": True,
            "created_at": start + timedelta(minutes=n),
        }
        for n, (user_id, email) in enumerate(zip(ids, emails, strict=True))
    ]
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.insert(USERS_0002), rows)
    finally:
        engine.dispose()
    return ids


def test_upgrade_to_0003_gives_existing_users_session_version_0_and_downgrade_removes_it(database_url: str) -> None:
    upgrade(database_url, "0002")
    [user_id] = _insert_users_at_0002(database_url, "ann@example.com")
    upgrade(database_url, "0003")
    engine = create_engine(database_url)
    try:
        with SqlAlchemyUnitOfWork(make_session_factory(engine)) as uow:
            user = uow.users.get(user_id)
            assert user is not None and user.session_version == 0
            assert uow.users.bump_session_version(user_id) == 1
            uow.commit()
        downgrade(database_url, "0002")
        columns = {column["name"] for column in sa.inspect(engine).get_columns("users")}
    finally:
        engine.dispose()
    assert "session_version" not in columns and {"id", "email", "is_active"} <= columns
    assert current_revision(database_url) == "0002"


def test_upgrade_to_0003_refolds_stored_emails_and_the_older_account_keeps_a_shared_address(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    upgrade(database_url, "0002")
    plain, fullwidth, strasse, strasse_sharp, decomposed = _insert_users_at_0002(
        database_url,
        "Ann@Example.com",
        "ＢＯＢ@ｅｘａｍｐｌｅ．ｃｏｍ",
        "strasse@example.com",
        "Straße@example.com",  # newer, and the same address once folded
        "Jose\u0301@example.com",
    )
    with caplog.at_level(logging.WARNING):
        upgrade(database_url, "0003")

    engine = create_engine(database_url)
    try:
        with SqlAlchemyUnitOfWork(make_session_factory(engine)) as uow:
            found = {
                typed: user.id if (user := uow.users.get_by_email(normalize_email(typed))) else None
                for typed in ("ann@example.com", "ＢＯＢ@example.com", "José@example.com", "STRASSE@example.com")
            }
            kept = uow.users.get(strasse_sharp)
    finally:
        engine.dispose()
    assert found == {
        "ann@example.com": plain,
        "ＢＯＢ@example.com": fullwidth,
        "José@example.com": decomposed,
        "STRASSE@example.com": strasse,
    }
    assert kept is not None and kept.email == "straße@example.com"
    assert str(strasse_sharp) in caplog.text and "left as it was" in caplog.text


CANCELLATION_COLUMNS = {"cancelled_by", "cancelled_at", "refund_amount"}
SANDBOX_TABLES = {"sandbox_payment_intents", "sandbox_refunds", "sandbox_events"}


def _set_on_booking(engine: sa.Engine, booking_id: uuid.UUID, **values: object) -> None:
    with engine.begin() as connection:
        connection.execute(sa.update(BookingRow).where(BookingRow.id == booking_id).values(**values))


def test_0004_adds_checked_cancellation_columns_to_bookings_and_downgrade_removes_them_and_the_sandbox_tables(
    database_url: str, engine: sa.Engine, store: Store
) -> None:
    guest = store.user()
    booking = store.booking(guest, store.place(store.user(is_host=True)), 1, 4)
    with engine.connect() as connection:
        untouched = connection.execute(sa.select(BookingRow.cancelled_by, BookingRow.refund_amount)).one()
    assert tuple(untouched) == (None, None)

    cancelled_at = datetime(2030, 6, 1, 12, 30, 15, 123456, tzinfo=UTC)
    _set_on_booking(engine, booking.id, cancelled_by="guest", cancelled_at=cancelled_at, refund_amount=15_400)
    with engine.connect() as connection:
        stored = connection.execute(
            sa.select(BookingRow.cancelled_by, BookingRow.cancelled_at, BookingRow.refund_amount)
        ).one()
    assert tuple(stored) == ("guest", cancelled_at, 15_400)
    for refused in ({"cancelled_by": "admin"}, {"refund_amount": -1}):
        with pytest.raises(sa.exc.IntegrityError):
            _set_on_booking(engine, booking.id, **refused)

    downgrade(database_url, "0003")
    inspector = sa.inspect(engine)
    columns = {column["name"] for column in inspector.get_columns("bookings")}
    assert not columns & CANCELLATION_COLUMNS and {"id", "status", "total_price"} <= columns
    assert not set(inspector.get_table_names()) & SANDBOX_TABLES
    with engine.connect() as connection:
        assert connection.scalar(sa.text("SELECT count(*) FROM bookings")) == 1

    upgrade(database_url)
    columns = {column["name"] for column in sa.inspect(engine).get_columns("bookings")}
    assert columns >= CANCELLATION_COLUMNS
    assert current_revision(database_url) == "0006"
