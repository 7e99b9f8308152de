"""``airbnb backup`` and ``airbnb restore`` as an operator runs them, on real PostgreSQL databases."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg
import pytest

from adapters.payments import SandboxPaymentGateway
from adapters.persistence import SqlAlchemyUnitOfWork, create_engine, make_session_factory, upgrade
from airbnb_core.domain.stay import Stay
from airbnb_core.inmemory import FixedClock
from airbnb_core.services.accounts import LogIn, RegisterUser
from airbnb_core.services.bookings import RequestBooking
from airbnb_core.services.listings import PropertyDraft
from tests.support.services import services_on

AIRBNB = [sys.executable, "-m", "entrypoints.cli"]
NOW = datetime(2030, 1, 2, 12, tzinfo=UTC)

Snapshot = dict[str, list[str]]


def airbnb(*args: str, database_url: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*AIRBNB, *args],
        env={**os.environ, "AIRBNB_DATABASE_URL": database_url, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def snapshot(url: str) -> Snapshot:
    """Every row of every table, as text, sorted: two databases with equal snapshots hold the same data."""
    with psycopg.connect(libpq(url)) as conn:
        tables = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")]
        return {table: sorted(r[0] for r in conn.execute(f'SELECT t::text FROM "{table}" t')) for table in tables}


def activity(url: str) -> uuid.UUID:
    """What the use cases write beyond the bulk seed: sessions, a paid booking, its outbox and the sandbox's rows."""
    engine = create_engine(url)
    try:
        gateway = SandboxPaymentGateway(engine, FixedClock(NOW), webhook_secret="whsec_test")
        sessions = make_session_factory(engine)
        services = services_on(lambda: SqlAlchemyUnitOfWork(sessions), clock=FixedClock(NOW), gateway=gateway)
        host = services.accounts.register(RegisterUser("Hana", "hana@example.com", "a-long-password", True))
        guest = services.accounts.register(RegisterUser("Ana", "ana@example.com", "a-long-password", False))
        services.accounts.log_in(LogIn("ana@example.com", "a-long-password"))
        draft = PropertyDraft(
            title="Loft", location="1 Quay", city="Lyon", country="FR", latitude=45.7, longitude=4.8,
            price_per_night=10_000, currency="EUR", max_guests=2, instant_book=True,
        )  # fmt: skip
        place = services.listings.create(host, draft)
        booking = services.bookings.request(
            guest, RequestBooking(place.id, Stay(date(2030, 2, 1), date(2030, 2, 3)), 1)
        ).booking
        services.payments.pay(guest, booking.id, "pm_card_visa")
        return booking.id
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def source(make_postgres_database: Callable[[], str]) -> tuple[str, uuid.UUID]:
    url = make_postgres_database()
    seeded = airbnb("seed", "--users", "30", "--properties", "40", "--bookings", "200", "--reviews", "40",
                    database_url=url)  # fmt: skip
    assert seeded.returncode == 0, seeded.stderr
    return url, activity(url)


@pytest.fixture(scope="module")
def dump(source: tuple[str, uuid.UUID], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("backups") / "airbnb.dump"
    result = airbnb("backup", str(path), database_url=source[0])
    assert result.returncode == 0, result.stderr
    assert "schema revision 0006" in result.stdout
    return path


def test_a_restored_backup_holds_every_row_and_the_overlap_constraint(
    make_postgres_database: Callable[[], str], source: tuple[str, uuid.UUID], dump: Path
) -> None:
    source_url, paid_booking = source
    target = make_postgres_database()
    result = airbnb("restore", str(dump), database_url=target)
    assert result.returncode == 0, result.stderr

    before, after = snapshot(source_url), snapshot(target)
    assert before.keys() == after.keys()
    for table in before:
        assert len(after[table]) == len(before[table]), table
        assert after[table] == before[table], table
    for table in ("users", "properties", "bookings", "reviews", "payments", "outbox", "refresh_tokens",
                  "sandbox_payment_intents", "sandbox_events", "alembic_version"):  # fmt: skip
        assert before[table], f"the seed left {table} empty: the comparison would prove nothing"

    with psycopg.connect(libpq(target)) as conn:
        definition = conn.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'bookings_no_overlap'"
        ).fetchone()
        assert definition is not None and "EXCLUDE USING gist" in definition[0]
        with pytest.raises(psycopg.errors.ExclusionViolation):
            # The paid booking again under another id: the same nights of the same property.
            conn.execute(
                "INSERT INTO bookings SELECT (jsonb_populate_record(b, jsonb_build_object('id', gen_random_uuid()))).*"
                " FROM bookings b WHERE id = %s",
                (paid_booking,),
            )


def test_a_database_that_holds_data_is_replaced_only_with_force(
    make_postgres_database: Callable[[], str], source: tuple[str, uuid.UUID], dump: Path
) -> None:
    target = make_postgres_database()
    upgrade(target)
    activity(target)
    before = snapshot(target)

    refused = airbnb("restore", str(dump), database_url=target)
    assert refused.returncode != 0
    assert "not empty" in refused.stderr and "--force" in refused.stderr
    assert snapshot(target) == before

    forced = airbnb("restore", str(dump), "--force", database_url=target)
    assert forced.returncode == 0, forced.stderr
    assert snapshot(target) == snapshot(source[0])


def test_a_dump_of_a_newer_schema_is_refused(
    make_postgres_database: Callable[[], str], dump: Path, tmp_path: Path
) -> None:
    newer = make_postgres_database()
    assert airbnb("restore", str(dump), database_url=newer).returncode == 0
    with psycopg.connect(libpq(newer)) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    future_dump = tmp_path / "future.dump"
    assert airbnb("backup", str(future_dump), database_url=newer).returncode == 0

    target = make_postgres_database()
    refused = airbnb("restore", str(future_dump), database_url=target)
    assert refused.returncode != 0
    assert "9999_from_the_future" in refused.stderr and "newer than this code knows" in refused.stderr
    assert snapshot(target) == {}


def test_sqlite_and_missing_tools_get_clear_errors(make_postgres_database: Callable[[], str], tmp_path: Path) -> None:
    sqlite = airbnb("backup", str(tmp_path / "x.dump"), database_url=f"sqlite:///{tmp_path}/airbnb.db")
    assert sqlite.returncode != 0
    assert "SQLite" in sqlite.stderr and "copy" in sqlite.stderr

    url = make_postgres_database()
    upgrade(url)
    missing = airbnb("backup", str(tmp_path / "x.dump"), database_url=url, AIRBNB_PG_BINDIR=str(tmp_path))
    assert missing.returncode != 0
    assert "pg_dump not found" in missing.stderr
    assert not (tmp_path / "x.dump").exists()
