from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from adapters.persistence import create_engine, current_revision, downgrade, ping, upgrade
from adapters.persistence.models import Base

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
    assert current_revision(database_url) == "0002"


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
